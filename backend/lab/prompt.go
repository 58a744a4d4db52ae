package lab

import (
	"strings"

	"github.com/knobs-app/knobs/backend/store"
	"github.com/knobs-app/knobs/backend/tokenizer"
)

// Prompt is a request's prompt as the model sees it.
type Prompt struct {
	// Mode is store.ModeRaw or store.ModeChat.
	Mode string
	// Rendered is the text given to the tokenizer: the prompt itself in raw mode, the
	// chat template's output in chat mode.
	Rendered string
	// Tokens are the ids prefilled.
	Tokens []int32
}

// PreparePrompt renders and tokenizes a prompt the way mlx-lm's generate does: a raw
// prompt is encoded with the tokenizer's special tokens (Llama 3's BOS); a chat prompt
// goes through the chat template with the generation prompt added, and is then encoded
// without special tokens because the template already wrote them.
func PreparePrompt(tok *tokenizer.Tokenizer, prompt string, chat bool,
	system string) (Prompt, error) {
	if strings.TrimSpace(prompt) == "" {
		return Prompt{}, labError(CodeEmptyPrompt, "the prompt is empty; type something "+
			"for the model to continue or answer")
	}
	if !chat {
		if system != "" {
			return Prompt{}, labError(CodeBadRequest, "a system prompt needs chat mode")
		}
		return Prompt{Mode: store.ModeRaw, Rendered: prompt, Tokens: tok.Encode(prompt, true)}, nil
	}
	if !tok.HasChatTemplate() {
		return Prompt{}, labError(CodeBadRequest, "this model has no chat template; "+
			"use a raw prompt instead")
	}
	msgs := []tokenizer.Message{{Role: "user", Content: prompt}}
	text, err := tok.ApplyChatTemplate(msgs, tokenizer.ChatOptions{
		AddGenerationPrompt: true, System: system,
	})
	if err != nil {
		return Prompt{}, err
	}
	return Prompt{Mode: store.ModeChat, Rendered: text, Tokens: tok.Encode(text, false)}, nil
}

// renderedPrompt tokenizes a recorded rendering again, for a replay: the chat
// template may depend on the date (Llama 3.2 writes "Today Date"), the recorded text
// does not.
func renderedPrompt(tok *tokenizer.Tokenizer, mode, rendered string) Prompt {
	ids := tok.Encode(rendered, mode == store.ModeRaw)
	return Prompt{Mode: mode, Rendered: rendered, Tokens: ids}
}
