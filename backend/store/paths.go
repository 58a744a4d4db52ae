package store

import (
	"path/filepath"

	"github.com/adrg/xdg"
)

// Paths says where Knobs keeps its files. Tests and the CLI's --data-dir point them at a
// temporary directory; DefaultPaths follows the XDG base directories.
type Paths struct {
	// DataDir holds knobs.db (history and presets).
	DataDir string
	// ConfigDir holds settings.json.
	ConfigDir string
}

// DefaultPaths returns $XDG_DATA_HOME/knobs and $XDG_CONFIG_HOME/knobs (or the platform's
// defaults). It re-reads the environment first: adrg/xdg caches it when the process
// starts, and tests set XDG_* afterwards.
func DefaultPaths() Paths {
	xdg.Reload()
	return Paths{
		DataDir:   filepath.Join(xdg.DataHome, "knobs"),
		ConfigDir: filepath.Join(xdg.ConfigHome, "knobs"),
	}
}

// InDir returns paths that keep both the database and the settings under dir, as the
// CLI's --data-dir asks.
func InDir(dir string) Paths {
	return Paths{DataDir: dir, ConfigDir: dir}
}

// DBPath is the database file.
func (p Paths) DBPath() string { return filepath.Join(p.DataDir, "knobs.db") }

// SettingsPath is the settings file.
func (p Paths) SettingsPath() string { return filepath.Join(p.ConfigDir, "settings.json") }
