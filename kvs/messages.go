package kvs

// NoFragmentsMessage is the message of GetClip's ResourceNotFoundException
// when no fragment is in the range (spec §1.4, taken from real responses).
// Clients match on it, so it is kept word for word.
const NoFragmentsMessage = "No fragments found in the stream for the clip request."
