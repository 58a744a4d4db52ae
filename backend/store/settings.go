package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// DefaultInspectK is how many candidates per token the inspector shows by default.
const DefaultInspectK = 10

// MaxInspectK bounds the inspector depth; beyond it the per-token data outweighs the text.
const MaxInspectK = 100

// Settings is what the app restores on its next start. The JSON keys are stable; a
// settings file may hold keys this version does not know (written by a newer Knobs),
// and SaveSettings writes them back unchanged.
type Settings struct {
	LastPrompt string `json:"last_prompt"`
	Chat       bool   `json:"chat"`
	System     string `json:"system"`
	// Columns are the regimes on screen, left to right.
	Columns []SettingsColumn `json:"columns"`
	// Model is the chosen model: a hub repo id, a local path, or "demo".
	Model       string `json:"model"`
	Window      Window `json:"window"`
	Theme       string `json:"theme"`    // "system", "light" or "dark"
	Language    string `json:"language"` // BCP 47 tag; empty follows the system
	MenuBarOnly bool   `json:"menu_bar_only"`
	// InspectK is the inspector depth: candidates recorded per token.
	InspectK  int `json:"inspect_k"`
	MaxTokens int `json:"max_tokens"`

	// extra holds the keys this version does not know, to write them back.
	extra map[string]json.RawMessage
}

// SettingsColumn is one column on screen: the preset it came from, if any, and its
// regime as edited.
type SettingsColumn struct {
	Preset string `json:"preset,omitempty"`
	Regime Regime `json:"regime"`
}

// Window is the main window's geometry in screen points.
type Window struct {
	X         int  `json:"x"`
	Y         int  `json:"y"`
	Width     int  `json:"width"`
	Height    int  `json:"height"`
	Maximised bool `json:"maximised"`
}

// DefaultSettings are the settings of a first start.
func DefaultSettings() Settings {
	return Settings{
		Columns:   []SettingsColumn{},
		Theme:     "system",
		Window:    Window{Width: 1200, Height: 800},
		InspectK:  DefaultInspectK,
		MaxTokens: 128,
	}
}

// settingsFields is Settings without its methods, for the plain encoding.
type settingsFields Settings

// UnmarshalJSON reads the known keys and keeps the rest.
func (s *Settings) UnmarshalJSON(doc []byte) error {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(doc, &all); err != nil {
		return err
	}
	fields := settingsFields(DefaultSettings())
	if err := json.Unmarshal(doc, &fields); err != nil {
		return err
	}
	known, err := knownSettingsKeys()
	if err != nil {
		return err
	}
	*s = Settings(fields)
	for k, v := range all {
		if !known[k] {
			if s.extra == nil {
				s.extra = map[string]json.RawMessage{}
			}
			s.extra[k] = v
		}
	}
	return nil
}

// MarshalJSON writes the known keys and the kept unknown ones.
func (s Settings) MarshalJSON() ([]byte, error) {
	doc, err := json.Marshal(settingsFields(s))
	if err != nil || len(s.extra) == 0 {
		return doc, err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(doc, &all); err != nil {
		return nil, err
	}
	for k, v := range s.extra {
		if _, ok := all[k]; !ok {
			all[k] = v
		}
	}
	return json.Marshal(all)
}

func knownSettingsKeys() (map[string]bool, error) {
	doc, err := json.Marshal(settingsFields{})
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(doc, &m); err != nil {
		return nil, err
	}
	known := map[string]bool{}
	for k := range m {
		known[k] = true
	}
	return known, nil
}

// normalize replaces values out of range by their defaults, so a hand-edited file
// cannot put the app in a state it cannot show.
func (s *Settings) normalize() {
	d := DefaultSettings()
	if s.Theme != "light" && s.Theme != "dark" {
		s.Theme = d.Theme
	}
	if s.InspectK < 0 || s.InspectK > MaxInspectK {
		s.InspectK = d.InspectK
	}
	if s.MaxTokens <= 0 || s.MaxTokens > MaxRegimeTokens {
		s.MaxTokens = d.MaxTokens
	}
	if s.Window.Width <= 0 || s.Window.Height <= 0 {
		s.Window = d.Window
	}
	if s.Columns == nil {
		s.Columns = []SettingsColumn{}
	}
}

// LoadSettings reads the settings file. A missing file gives the defaults. A file that is
// not valid settings JSON is renamed to "<path>.corrupt-<timestamp>", the defaults are
// returned, and notice says what happened; err is reserved for failures to read or move
// the file.
func LoadSettings(path string) (s Settings, notice string, err error) {
	doc, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return DefaultSettings(), "", nil
	}
	if err != nil {
		return DefaultSettings(), "", fmt.Errorf("read settings: %w", err)
	}
	if err := json.Unmarshal(doc, &s); err != nil {
		aside := path + ".corrupt-" + time.Now().UTC().Format("20060102T150405Z")
		if mvErr := os.Rename(path, aside); mvErr != nil {
			return DefaultSettings(), "", &Error{Code: CodeSettingsCorrupt, Err: mvErr,
				Message: fmt.Sprintf("the settings file %s is damaged and could not be "+
					"moved aside", path)}
		}
		return DefaultSettings(), fmt.Sprintf("The settings file was damaged (%v). It was "+
			"kept as %s and Knobs started with default settings.", err, aside), nil
	}
	s.normalize()
	return s, "", nil
}

// SaveSettings writes the settings atomically (temporary file, sync, rename). Keys of
// the existing file that s does not know (written by a newer Knobs, or dropped by a
// caller that rebuilt s from its JSON) are carried over.
func SaveSettings(path string, s Settings) error {
	if old, err := os.ReadFile(path); err == nil {
		var prev Settings
		if json.Unmarshal(old, &prev) == nil {
			for k, v := range prev.extra {
				if _, ok := s.extra[k]; !ok {
					if s.extra == nil {
						s.extra = map[string]json.RawMessage{}
					}
					s.extra[k] = v
				}
			}
		}
	}
	doc, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encode settings: %w", err)
	}
	if err := writeFileAtomic(path, append(doc, '\n'), 0o600); err != nil {
		return fmt.Errorf("write settings: %w", err)
	}
	return nil
}
