package app

import "testing"

func TestBusDeliversAndNeverBlocks(t *testing.T) {
	var b Bus
	fast, stopFast := b.Subscribe()
	slow, stopSlow := b.Subscribe()
	defer stopSlow()

	for i := 0; i < subscriberBuffer+10; i++ {
		b.Publish(SyncProgress{Done: i})
		<-fast // the fast subscriber keeps up
	}
	if got := len(slow); got != subscriberBuffer {
		t.Fatalf("slow subscriber holds %d events, want its buffer (%d) full and the rest dropped", got, subscriberBuffer)
	}
	first := (<-slow).(SyncProgress)
	if first.Done != 0 {
		t.Errorf("slow subscriber's first event is Done=%d, want 0 (oldest kept)", first.Done)
	}

	stopFast()
	stopFast() // idempotent
	if _, ok := <-fast; ok {
		t.Error("channel still open after unsubscribe")
	}
	b.Publish(Unlocked{}) // must not panic on the closed channel
}
