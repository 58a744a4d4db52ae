// Package fakesni is a minimal tray host for tests: an org.kde.StatusNotifierWatcher
// that records the items registering with it, and a client for the items' menus
// (com.canonical.dbusmenu) that reads their labels and clicks them.
//
// It implements only what fyne.io/systray calls on a watcher and what a test needs from
// a menu; it is not a usable tray.
package fakesni

import (
	"context"
	"fmt"
	"strings"

	"github.com/godbus/dbus/v5"
)

const (
	watcherName  = "org.kde.StatusNotifierWatcher"
	watcherPath  = dbus.ObjectPath("/StatusNotifierWatcher")
	itemIface    = "org.kde.StatusNotifierItem"
	dbusmenuName = "com.canonical.dbusmenu"
)

// Item is a registered StatusNotifierItem: the unique bus name of its owner and its
// object path.
type Item struct {
	Sender string
	Path   dbus.ObjectPath
}

// Watcher owns org.kde.StatusNotifierWatcher on a bus.
type Watcher struct {
	conn  *dbus.Conn
	items chan Item
}

// Start exports a watcher on conn and takes the watcher's well-known name.
func Start(conn *dbus.Conn) (*Watcher, error) {
	w := &Watcher{conn: conn, items: make(chan Item, 8)}
	if err := conn.Export(watcherMethods{w}, watcherPath, watcherName); err != nil {
		return nil, fmt.Errorf("export watcher: %w", err)
	}
	reply, err := conn.RequestName(watcherName, dbus.NameFlagDoNotQueue)
	if err != nil {
		return nil, fmt.Errorf("request %s: %w", watcherName, err)
	}
	if reply != dbus.RequestNameReplyPrimaryOwner {
		return nil, fmt.Errorf("request %s: name already owned", watcherName)
	}
	return w, nil
}

// WaitItem returns the next item that registers.
func (w *Watcher) WaitItem(ctx context.Context) (Item, error) {
	select {
	case it := <-w.items:
		return it, nil
	case <-ctx.Done():
		return Item{}, fmt.Errorf("wait for a tray item: %w", ctx.Err())
	}
}

// watcherMethods holds the exported DBus methods, apart from Watcher's Go API.
type watcherMethods struct{ w *Watcher }

// RegisterStatusNotifierItem is called by an item. Its argument is a bus name or, as
// systray sends, an object path on the sender's connection.
func (m watcherMethods) RegisterStatusNotifierItem(sender dbus.Sender, service string) *dbus.Error {
	it := Item{Sender: string(sender), Path: "/StatusNotifierItem"}
	if strings.HasPrefix(service, "/") {
		it.Path = dbus.ObjectPath(service)
	} else if service != "" {
		it.Sender = service
	}
	select {
	case m.w.items <- it:
	default:
	}
	return nil
}

// RegisterStatusNotifierHost accepts and ignores hosts.
func (m watcherMethods) RegisterStatusNotifierHost(service string) *dbus.Error {
	return nil
}

// MenuItem is one entry of an item's menu.
type MenuItem struct {
	ID    int32
	Label string
	Type  string // "" for a normal entry, "separator" for a separator
}

// Menu reads the top level of the item's menu.
func Menu(conn *dbus.Conn, it Item) ([]MenuItem, error) {
	menuPath, err := menuPath(conn, it)
	if err != nil {
		return nil, err
	}
	var revision uint32
	var layout layoutNode
	err = conn.Object(it.Sender, menuPath).
		Call(dbusmenuName+".GetLayout", 0, int32(0), int32(1), []string{}).
		Store(&revision, &layout)
	if err != nil {
		return nil, fmt.Errorf("get menu layout: %w", err)
	}

	items := make([]MenuItem, 0, len(layout.Children))
	for _, child := range layout.Children {
		mi, err := parseChild(child)
		if err != nil {
			return nil, err
		}
		items = append(items, mi)
	}
	return items, nil
}

// Click sends a "clicked" event for the menu entry with the given id.
func Click(conn *dbus.Conn, it Item, id int32) error {
	menuPath, err := menuPath(conn, it)
	if err != nil {
		return err
	}
	call := conn.Object(it.Sender, menuPath).
		Call(dbusmenuName+".Event", 0, id, "clicked", dbus.MakeVariant(""), uint32(0))
	if call.Err != nil {
		return fmt.Errorf("click menu item %d: %w", id, call.Err)
	}
	return nil
}

// menuPath reads the item's Menu property: the object path of its dbusmenu.
func menuPath(conn *dbus.Conn, it Item) (dbus.ObjectPath, error) {
	v, err := conn.Object(it.Sender, it.Path).GetProperty(itemIface + ".Menu")
	if err != nil {
		return "", fmt.Errorf("read the item's menu path: %w", err)
	}
	p, ok := v.Value().(dbus.ObjectPath)
	if !ok {
		return "", fmt.Errorf("item menu property is %T, want an object path", v.Value())
	}
	return p, nil
}

// layoutNode is a dbusmenu layout, signature (ia{sv}av).
type layoutNode struct {
	ID       int32
	Props    map[string]dbus.Variant
	Children []dbus.Variant
}

// parseChild reads one child of a layout: a variant holding (ia{sv}av).
func parseChild(v dbus.Variant) (MenuItem, error) {
	fields, ok := v.Value().([]any)
	if !ok || len(fields) != 3 {
		return MenuItem{}, fmt.Errorf("menu child has signature %s, want (ia{sv}av)",
			v.Signature())
	}
	id, ok := fields[0].(int32)
	props, ok2 := fields[1].(map[string]dbus.Variant)
	if !ok || !ok2 {
		return MenuItem{}, fmt.Errorf("menu child has signature %s, want (ia{sv}av)",
			v.Signature())
	}
	mi := MenuItem{ID: id}
	if l, ok := props["label"]; ok {
		mi.Label, _ = l.Value().(string)
	}
	if t, ok := props["type"]; ok {
		mi.Type, _ = t.Value().(string)
	}
	return mi, nil
}
