package main

import "github.com/knobs-app/knobs/backend/apperr"

// userMessage is the sentence the CLI prints for an error: the same text the desktop
// UI shows, with the remedy when the error offers one.
func userMessage(err error) string {
	return apperr.Message(err)
}
