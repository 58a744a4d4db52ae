//go:build bridge

package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
)

// eventHub sends runtime events to every connected page as server-sent events. Each
// event is numbered; a page receives them in order.
type eventHub struct {
	mu      sync.Mutex
	seq     uint64
	clients map[chan []byte]bool
	closed  bool
}

// clientBuffer is how many events a slow page may fall behind before it is dropped:
// a comparison of 8 columns of 2048 tokens emits about 16k events.
const clientBuffer = 1 << 16

func newEventHub() *eventHub {
	return &eventHub{clients: map[chan []byte]bool{}}
}

// emit is App.emit in the bridge: the counterpart of runtime.EventsEmit.
func (h *eventHub) emit(name string, data ...any) {
	if data == nil {
		data = []any{}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	msg, err := json.Marshal(struct {
		Seq  uint64 `json:"seq"`
		Name string `json:"name"`
		Data []any  `json:"data"`
	}{h.seq, name, data})
	if err != nil {
		slog.Error("encode event", "err", err, "name", name)
		return
	}
	for c := range h.clients {
		select {
		case c <- msg:
		default:
			slog.Warn("event stream fell behind; dropping the page", "name", name)
			delete(h.clients, c)
			close(c)
		}
	}
}

// lastSeq is the number of the last event emitted.
func (h *eventHub) lastSeq() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.seq
}

// serve streams events to one page until it goes away or the hub closes. The first
// message, sent once the page is registered, carries the current sequence number, so
// the page knows from which event on it sees everything.
func (h *eventHub) serve(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	c := make(chan []byte, clientBuffer)
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		http.Error(w, errClosed.Error(), http.StatusServiceUnavailable)
		return
	}
	h.clients[c] = true
	start := h.seq
	h.mu.Unlock()
	defer h.drop(c)

	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprintf(w, "event: hello\ndata: {\"seq\":%d}\n\n", start)
	flusher.Flush()
	for {
		select {
		case <-r.Context().Done():
			return
		case msg, ok := <-c:
			if !ok {
				return
			}
			fmt.Fprintf(w, "data: %s\n\n", msg)
			flusher.Flush()
		}
	}
}

func (h *eventHub) drop(c chan []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.clients[c] {
		delete(h.clients, c)
		close(c)
	}
}

// closeAll ends every stream; the bridge is quitting.
func (h *eventHub) closeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for c := range h.clients {
		delete(h.clients, c)
		close(c)
	}
}
