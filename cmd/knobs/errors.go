package main

// userMessage is the sentence the CLI prints for an error. It is the error's own text
// until backend/apperr provides the shared formatter.
func userMessage(err error) string {
	return err.Error()
}
