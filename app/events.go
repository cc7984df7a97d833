package app

import "sync"

// Event is something screens may want to react to. The concrete types are
// listed below; a subscriber switches on them.
type Event interface{ isEvent() }

// Locked says the session dropped its keys: on request, or by itself
// (Idle) after a while without activity or in the background.
type Locked struct{ Idle bool }

// Unlocked says the session holds its keys again.
type Unlocked struct{}

// ProfilesChanged says a profile was added, removed or renamed.
type ProfilesChanged struct{}

// SyncProgress reports a running sync of one profile.
type SyncProgress struct {
	ProfileID string
	Type      string // the resource type being pulled, "" when sending the outbox (before and after the pull)
	Done      int
	Total     int // 0 when unknown
}

// SyncFinished reports the end of a sync of one profile. Err is nil on
// success; Offline says the server could not be reached at all.
type SyncFinished struct {
	ProfileID string
	Err       error
	Offline   bool
}

// RecordChanged says the cached record of a profile changed.
type RecordChanged struct{ ProfileID string }

// SeenChanged says the patient read messages or looked at results of a
// profile: what counts as new on its dashboard changed.
type SeenChanged struct{ ProfileID string }

// OutboxChanged says something the patient wrote for a profile was stored,
// sent, refused, retried or discarded: its state on screen may change.
type OutboxChanged struct{ ProfileID string }

// MessagesChanged says the patient's messages of a profile changed here:
// one was stored to be sent, edited or discarded. (Changes that come with
// a sync arrive as RecordChanged; sending progress as OutboxChanged.)
type MessagesChanged struct{ ProfileID string }

// NewMessages says a sync brought messages from the practice that the
// patient has not read: what notifications announce. Each message is
// announced once; IDs are their Communication ids and From who wrote
// each. The messages a profile already held when it was first synced are
// not announced.
type NewMessages struct {
	ProfileID string
	IDs       []string
	From      []string
}

func (MessagesChanged) isEvent() {}
func (NewMessages) isEvent()     {}
func (Locked) isEvent()          {}
func (OutboxChanged) isEvent()   {}
func (Unlocked) isEvent()        {}
func (ProfilesChanged) isEvent() {}
func (SyncProgress) isEvent()    {}
func (SyncFinished) isEvent()    {}
func (RecordChanged) isEvent()   {}
func (SeenChanged) isEvent()     {}

// subscriberBuffer is how many events a slow subscriber may fall behind
// before further events to it are dropped. Screens reload their whole view
// on any event, so a dropped progress event costs nothing.
const subscriberBuffer = 64

// Bus fans events out to subscribers. Publishing never blocks: an event for
// a subscriber whose buffer is full is dropped for that subscriber. Safe for
// concurrent use.
type Bus struct {
	mu   sync.Mutex
	subs map[chan Event]struct{}
}

// Subscribe returns a channel of events and a function that ends the
// subscription and closes the channel.
func (b *Bus) Subscribe() (<-chan Event, func()) {
	ch := make(chan Event, subscriberBuffer)
	b.mu.Lock()
	if b.subs == nil {
		b.subs = make(map[chan Event]struct{})
	}
	b.subs[ch] = struct{}{}
	b.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			b.mu.Lock()
			delete(b.subs, ch)
			b.mu.Unlock()
			close(ch)
		})
	}
}

// Publish sends e to every subscriber without blocking.
func (b *Bus) Publish(e Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs {
		select {
		case ch <- e:
		default:
		}
	}
}
