package counter

// The value encodings, for the external tests (they are not API: Curator's
// formats, documented in the package doc's znode layout).
var (
	EncodeInt32 = encodeInt32
	DecodeInt32 = decodeInt32
	EncodeInt64 = encodeInt64
	DecodeInt64 = decodeInt64
)
