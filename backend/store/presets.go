package store

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Preset is a named regime. Built-in presets (Builtin != "") ship with Knobs: they can
// be hidden, favoured and reordered but not renamed, edited or deleted.
type Preset struct {
	ID int64 `json:"id"`
	// Builtin is the stable key of a built-in preset ("greedy"); empty for user presets.
	Builtin     string    `json:"builtin,omitempty"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	Regime      Regime    `json:"regime"`
	Favourite   bool      `json:"favourite"`
	Hidden      bool      `json:"hidden"`
	Position    int       `json:"position"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

const presetColumns = `id, COALESCE(builtin, ''), name, description, regime, favourite,
	hidden, position, created_at, updated_at`

// ensureBuiltins inserts the built-in presets a database lacks and refreshes the text
// and knobs of those it has. A user preset that happens to carry a new built-in's name
// is renamed "<name> (mine)" first.
func (s *Store) ensureBuiltins() error {
	tx, err := s.db.Begin()
	if err != nil {
		return fmt.Errorf("install built-in presets: %w", err)
	}
	defer tx.Rollback()
	now := s.now().UnixMilli()
	for i, b := range builtins {
		regime, err := json.Marshal(b.regime)
		if err != nil {
			return err
		}
		res, err := tx.Exec(`UPDATE presets SET name=?, description=?, regime=?
			WHERE builtin=?`, b.name, b.description, string(regime), b.key)
		if err != nil {
			return fmt.Errorf("install built-in presets: %w", err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			continue
		}
		if _, err := tx.Exec(`UPDATE presets SET name = name || ' (mine)'
			WHERE builtin IS NULL AND name = ? COLLATE NOCASE`, b.name); err != nil {
			return fmt.Errorf("install built-in presets: %w", err)
		}
		if _, err := tx.Exec(`INSERT INTO presets (builtin, name, description, regime,
			position, created_at, updated_at) VALUES (?,?,?,?,?,?,?)`,
			b.key, b.name, b.description, string(regime), i, now, now); err != nil {
			return fmt.Errorf("install built-in presets: %w", err)
		}
	}
	return tx.Commit()
}

// Presets returns the presets in display order (favourites are not moved; the UI
// decides). Hidden presets are included only when withHidden is set.
func (s *Store) Presets(withHidden bool) ([]Preset, error) {
	query := `SELECT ` + presetColumns + ` FROM presets`
	if !withHidden {
		query += ` WHERE hidden = 0`
	}
	query += ` ORDER BY position, id`
	return s.queryPresets(query)
}

// PresetByName finds a preset by name, ignoring case; hidden presets are found too.
func (s *Store) PresetByName(name string) (Preset, error) {
	ps, err := s.queryPresets(`SELECT `+presetColumns+` FROM presets
		WHERE name = ? COLLATE NOCASE`, name)
	if err != nil {
		return Preset{}, err
	}
	if len(ps) == 0 {
		return Preset{}, s.notFound(name)
	}
	return ps[0], nil
}

// notFound builds the error for an unknown preset name, listing the known ones.
func (s *Store) notFound(name string) error {
	all, _ := s.Presets(true)
	names := make([]string, len(all))
	for i, p := range all {
		names[i] = p.Name
	}
	return newError(CodePresetNotFound, "no preset named %q; the presets are: %s",
		name, strings.Join(names, ", "))
}

// PresetByID finds a preset by id.
func (s *Store) PresetByID(id int64) (Preset, error) {
	ps, err := s.queryPresets(`SELECT `+presetColumns+` FROM presets WHERE id = ?`, id)
	if err != nil {
		return Preset{}, err
	}
	if len(ps) == 0 {
		return Preset{}, newError(CodePresetNotFound, "preset %d not found", id)
	}
	return ps[0], nil
}

func (s *Store) queryPresets(query string, args ...any) ([]Preset, error) {
	rows, err := s.db.Query(query, args...)
	if err != nil {
		return nil, fmt.Errorf("read presets: %w", err)
	}
	defer rows.Close()
	var ps []Preset
	for rows.Next() {
		var p Preset
		var regime string
		var created, updated int64
		if err := rows.Scan(&p.ID, &p.Builtin, &p.Name, &p.Description, &regime,
			&p.Favourite, &p.Hidden, &p.Position, &created, &updated); err != nil {
			return nil, fmt.Errorf("read presets: %w", err)
		}
		if err := json.Unmarshal([]byte(regime), &p.Regime); err != nil {
			return nil, fmt.Errorf("read preset %q: %w", p.Name, err)
		}
		p.CreatedAt = time.UnixMilli(created).UTC()
		p.UpdatedAt = time.UnixMilli(updated).UTC()
		ps = append(ps, p)
	}
	return ps, rows.Err()
}

// SavePreset creates the user preset name with the given regime and description, or
// replaces the regime and description of the user preset that already has that name.
// A built-in's name is refused.
func (s *Store) SavePreset(name, description string, r Regime) (Preset, error) {
	if err := validName("preset name", name, false); err != nil {
		return Preset{}, err
	}
	r.Name = ""
	if err := r.Validate(); err != nil {
		return Preset{}, err
	}
	regime, err := json.Marshal(r)
	if err != nil {
		return Preset{}, err
	}
	old, err := s.PresetByName(name)
	switch {
	case err == nil && old.Builtin != "":
		return Preset{}, newError(CodePresetBuiltin,
			"%q is a built-in preset and cannot be changed; save under another name", old.Name)
	case err == nil:
		_, err = s.db.Exec(`UPDATE presets SET regime=?, description=?, updated_at=?
			WHERE id=?`, string(regime), description, s.now().UnixMilli(), old.ID)
		if err != nil {
			return Preset{}, fmt.Errorf("save preset: %w", err)
		}
		return s.PresetByID(old.ID)
	case !IsCode(err, CodePresetNotFound):
		return Preset{}, err
	}
	id, err := s.insertPreset(s.db, name, description, string(regime), false)
	if err != nil {
		return Preset{}, err
	}
	return s.PresetByID(id)
}

// execer is what insertPreset needs from a *sql.DB or a *sql.Tx.
type execer interface {
	Exec(query string, args ...any) (sql.Result, error)
	QueryRow(query string, args ...any) *sql.Row
}

// insertPreset adds a user preset at the end of the order.
func (s *Store) insertPreset(db execer, name, description, regime string, fav bool) (int64, error) {
	var last int
	err := db.QueryRow(`SELECT COALESCE(MAX(position), -1) FROM presets`).Scan(&last)
	if err != nil {
		return 0, fmt.Errorf("save preset: %w", err)
	}
	now := s.now().UnixMilli()
	res, err := db.Exec(`INSERT INTO presets (name, description, regime, favourite, position,
		created_at, updated_at) VALUES (?,?,?,?,?,?,?)`,
		name, description, regime, fav, last+1, now, now)
	if err != nil {
		return 0, fmt.Errorf("save preset %q: %w", name, err)
	}
	return res.LastInsertId()
}

// userPreset loads a preset and refuses built-ins for the operation named by verb.
func (s *Store) userPreset(id int64, verb string) (Preset, error) {
	p, err := s.PresetByID(id)
	if err != nil {
		return p, err
	}
	if p.Builtin != "" {
		return p, newError(CodePresetBuiltin,
			"%q is a built-in preset and cannot be %s; hide it or duplicate it instead",
			p.Name, verb)
	}
	return p, nil
}

// nameFree checks that no other preset uses name.
func (s *Store) nameFree(name string, except int64) error {
	p, err := s.PresetByName(name)
	switch {
	case err == nil && p.ID != except:
		return newError(CodePresetExists, "a preset named %q already exists", p.Name)
	case err == nil || IsCode(err, CodePresetNotFound):
		return nil
	default:
		return err
	}
}

// RenamePreset renames a user preset.
func (s *Store) RenamePreset(id int64, name string) error {
	if err := validName("preset name", name, false); err != nil {
		return err
	}
	if _, err := s.userPreset(id, "renamed"); err != nil {
		return err
	}
	if err := s.nameFree(name, id); err != nil {
		return err
	}
	_, err := s.db.Exec(`UPDATE presets SET name=?, updated_at=? WHERE id=?`,
		name, s.now().UnixMilli(), id)
	if err != nil {
		return fmt.Errorf("rename preset: %w", err)
	}
	return nil
}

// DuplicatePreset copies any preset (built-ins included) into a new user preset. An
// empty name picks "<name> copy", "<name> copy 2", ...
func (s *Store) DuplicatePreset(id int64, name string) (Preset, error) {
	src, err := s.PresetByID(id)
	if err != nil {
		return Preset{}, err
	}
	if name == "" {
		if name, err = s.freeName(src.Name + " copy"); err != nil {
			return Preset{}, err
		}
	}
	return s.createNew(name, src.Description, src.Regime)
}

// createNew saves a new user preset and fails if the name is taken.
func (s *Store) createNew(name, description string, r Regime) (Preset, error) {
	if err := s.nameFree(name, 0); err != nil {
		return Preset{}, err
	}
	return s.SavePreset(name, description, r)
}

// freeName returns base, or base followed by the smallest number from 2 that no preset
// uses.
func (s *Store) freeName(base string) (string, error) {
	name := base
	for n := 2; ; n++ {
		if err := s.nameFree(name, 0); err == nil {
			return name, nil
		} else if !IsCode(err, CodePresetExists) {
			return "", err
		}
		name = fmt.Sprintf("%s %d", base, n)
	}
}

// SetFavourite marks or unmarks a preset as a favourite.
func (s *Store) SetFavourite(id int64, fav bool) error {
	return s.setFlag(id, "favourite", fav)
}

// SetHidden hides or shows a preset; hiding is how a built-in is put away.
func (s *Store) SetHidden(id int64, hidden bool) error {
	return s.setFlag(id, "hidden", hidden)
}

func (s *Store) setFlag(id int64, column string, on bool) error {
	res, err := s.db.Exec(`UPDATE presets SET `+column+`=?, updated_at=? WHERE id=?`,
		on, s.now().UnixMilli(), id)
	if err != nil {
		return fmt.Errorf("update preset: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return newError(CodePresetNotFound, "preset %d not found", id)
	}
	return nil
}

// ReorderPresets sets the display order: ids first, in the given order, then every
// preset not listed, in its current order.
func (s *Store) ReorderPresets(ids []int64) error {
	all, err := s.Presets(true)
	if err != nil {
		return err
	}
	known := map[int64]bool{}
	for _, p := range all {
		known[p.ID] = true
	}
	order := make([]int64, 0, len(all))
	listed := map[int64]bool{}
	for _, id := range ids {
		if !known[id] {
			return newError(CodePresetNotFound, "preset %d not found", id)
		}
		if !listed[id] {
			order, listed[id] = append(order, id), true
		}
	}
	for _, p := range all {
		if !listed[p.ID] {
			order = append(order, p.ID)
		}
	}

	tx, err := s.db.Begin()
	if err != nil {
		return fmt.Errorf("reorder presets: %w", err)
	}
	defer tx.Rollback()
	for pos, id := range order {
		if _, err := tx.Exec(`UPDATE presets SET position=? WHERE id=?`, pos, id); err != nil {
			return fmt.Errorf("reorder presets: %w", err)
		}
	}
	return tx.Commit()
}

// DeletePreset deletes a user preset. Built-ins are refused with CodePresetBuiltin.
func (s *Store) DeletePreset(id int64) error {
	if _, err := s.userPreset(id, "deleted"); err != nil {
		return err
	}
	if _, err := s.db.Exec(`DELETE FROM presets WHERE id=?`, id); err != nil {
		return fmt.Errorf("delete preset: %w", err)
	}
	return nil
}
