package outbox

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/carebook/carebook/storage"
)

// Once the practice has confirmed an item, the files it carried (photos,
// documents: the inline data of its attachments) are the practice's copy's
// to keep: the sync writes that copy to the cache, and a file is always
// opened from there. A sent item keeps everything else (what it was, its
// identifier, each file's name, type and size), so the screens still show
// it, but not those bytes, which every reading of the outbox would
// otherwise decrypt and decode again for good.

// withoutFileData returns a sent item with the inline data of its
// attachments dropped from its request and from the practice's reply,
// and whether anything was dropped. Other items come back unchanged: what
// has not reached the practice keeps every byte.
func withoutFileData(it storage.OutboxItem) (storage.OutboxItem, bool) {
	if it.Status != storage.OutboxSent {
		return it, false
	}
	payload, p := dropFileData(it.Payload)
	result, r := dropFileData(it.Result)
	if p {
		it.Payload = payload
	}
	if r {
		it.Result = result
	}
	return it, p || r
}

// dropFileData removes "data" from every attachment in the JSON js (an
// object with both "contentType" and "data": FHIR requires the type of
// inline data), writing its decoded size as "size" where none was given.
// It reports whether it changed anything; js that is not JSON, or holds
// no inline data, is returned as it is.
func dropFileData(js []byte) ([]byte, bool) {
	if !bytes.Contains(js, []byte(`"data"`)) {
		return js, false
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber() // numbers stay as written
	var v any
	if dec.Decode(&v) != nil {
		return js, false
	}
	if !dropIn(v) {
		return js, false
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if enc.Encode(v) != nil {
		return js, false
	}
	return bytes.TrimSuffix(out.Bytes(), []byte("\n")), true
}

// dropIn removes the inline data of the attachments in v, a decoded JSON
// value, and reports whether there was any.
func dropIn(v any) bool {
	changed := false
	switch v := v.(type) {
	case map[string]any:
		data, isData := v["data"].(string)
		if _, typed := v["contentType"].(string); typed && isData {
			if _, sized := v["size"]; !sized {
				if b, err := base64.StdEncoding.DecodeString(data); err == nil {
					v["size"] = len(b)
				}
			}
			delete(v, "data")
			changed = true
		}
		for _, child := range v {
			changed = dropIn(child) || changed
		}
	case []any:
		for _, child := range v {
			changed = dropIn(child) || changed
		}
	}
	return changed
}

// DropSentFileData drops the inline file data of every item of the
// profile the practice confirmed before Send began doing so itself (see
// withoutFileData), and returns how many it changed. Nothing unsent is
// touched.
func (o *Outbox) DropSentFileData(ctx context.Context) (int, error) {
	items, err := o.cfg.Store.Outbox(ctx, o.cfg.ProfileID, storage.OutboxSent)
	if err != nil {
		return 0, fmt.Errorf("outbox: drop sent file data: %w", err)
	}
	n := 0
	for _, it := range items {
		light, changed := withoutFileData(it)
		if !changed {
			continue
		}
		if err := o.save(ctx, light); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
