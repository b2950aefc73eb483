// HPACK header compression for HTTP/2 (RFC 7541): sans-I/O encoder and decoder.
// Entry points: HPACKDecoder, HPACKEncoder, HPACKHeaderList (design and limits in Docs/hpack.md).
import CourierCore
