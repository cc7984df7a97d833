//go:build ci || android || ios || mobile || js || wasm || tamago || noos || tinygo

package idleloop

// Start does nothing where Fyne's driver has no desktop GL loop (its
// software driver under the ci build tag, phones, browsers): those loops
// do not tick while idle, or are not ours to measure.
func Start() (stop func()) { return func() {} }
