package tokenizer

import (
	"testing"
	"time"
)

func TestSmoke(t *testing.T) {
	for _, name := range []string{"llama3", "llama3_1", "qwen3"} {
		start := time.Now()
		tok := loadModel(t, name)
		t.Logf("%s load %v vocab %d stops %v", name, time.Since(start), tok.VocabSize(), tok.StopTokens())
		for _, s := range []string{"Hello world", "x**2  # comment", "안녕하세요, 세계!", "I'm HE'LL   \n\n  ok<|eot_id|> 12345"} {
			ids := tok.Encode(s, true)
			t.Logf("%q -> %v -> %q", s, ids, tok.Decode(ids, false))
		}
	}
}
