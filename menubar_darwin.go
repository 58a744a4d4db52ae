package main

/*
#cgo CFLAGS: -x objective-c
#cgo LDFLAGS: -framework Cocoa

#import <Cocoa/Cocoa.h>

// knobsSetActivationPolicy switches between a Dock app (regular) and a menu-bar-only
// app (accessory). It runs on the main queue, after Wails has set the regular policy
// during launch.
static void knobsSetActivationPolicy(int accessory) {
	dispatch_async(dispatch_get_main_queue(), ^{
		if (accessory) {
			[NSApp setActivationPolicy:NSApplicationActivationPolicyAccessory];
		} else {
			[NSApp setActivationPolicy:NSApplicationActivationPolicyRegular];
			[NSApp activateIgnoringOtherApps:YES];
		}
	});
}
*/
import "C"

// setMenuBarOnly hides the Dock icon (and the app from the app switcher) when on is
// true, leaving only the menu-bar icon; false brings the Dock icon back. Wails forces
// the regular policy at launch, so this is called from startup, not before.
func setMenuBarOnly(on bool) {
	accessory := C.int(0)
	if on {
		accessory = 1
	}
	C.knobsSetActivationPolicy(accessory)
}
