package sigv4

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// Signer makes the signatures a client makes that the AWS SDK's signer
// does not: over a canonical request of the caller's choosing (a chosen
// set of headers, as the producer SDK signs PutMedia, or too few of them to
// be accepted) and over the chunks of an aws-chunked body. The server
// itself never signs; its tests sign with it what the SDKs would send.
type Signer struct {
	Credentials Credentials
	// Region is the region of the signature's scope.
	Region string
}

// Authorization returns the Authorization header of canon (a
// CanonicalRequest over the signed headers) signed at amzDate
// (DateLayout), and the signature alone, which seeds an aws-chunked body's
// chunk signatures.
func (s Signer) Authorization(amzDate string, signed []string, canon string) (header, signature string) {
	sc := scope(amzDate[:8], s.Region, Service)
	signature = hex.EncodeToString(hmacSHA256(s.key(amzDate), stringToSign(amzDate, sc, canon)))
	header = fmt.Sprintf("%s Credential=%s/%s, SignedHeaders=%s, Signature=%s",
		Algorithm, s.Credentials.AccessKeyID, sc, strings.Join(signed, ";"), signature)
	return header, signature
}

// ChunkSignature is the signature of one aws-chunked chunk of data signed
// at amzDate after the chunk (or the request) whose signature is prev.
func (s Signer) ChunkSignature(amzDate, prev string, data []byte) string {
	sc := scope(amzDate[:8], s.Region, Service)
	return hex.EncodeToString(hmacSHA256(s.key(amzDate), chunkStringToSign(amzDate, sc, prev, data)))
}

func (s Signer) key(amzDate string) []byte {
	return signingKey(s.Credentials.SecretAccessKey, amzDate[:8], s.Region, Service)
}
