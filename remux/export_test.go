package remux

// TwoPassClip is twoPassClip, the reference of the planned clips, for the
// package's external tests.
var TwoPassClip = twoPassClip
