package ingest

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// MaxBodyBytes is the largest request body accepted, after base64 and gzip decoding.
const MaxBodyBytes = 1 << 20

// errTooLarge marks a body over MaxBodyBytes (413).
var errTooLarge = errors.New("body is larger than 1 MB")

// errUnsupportedType marks a body that is not JSON (415).
var errUnsupportedType = errors.New("content-type must be application/json")

// errUnsupportedCharset marks a JSON body declared in another charset than UTF-8 (415).
var errUnsupportedCharset = errors.New(
	"content-type charset must be utf-8 (or left out): JSON is read as UTF-8")

// badBody refuses a body that does not decode (400). Its text is ours alone; the cause,
// a library error whose words mean nothing to a sender, is only logged (errors.Unwrap).
type badBody struct {
	msg   string
	cause error
}

func (e *badBody) Error() string { return e.msg }
func (e *badBody) Unwrap() error { return e.cause }

// header returns a request header, matching its name without regard to case.
func header(req *events.APIGatewayProxyRequest, name string) string {
	for k, v := range req.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	for k, vs := range req.MultiValueHeaders {
		if strings.EqualFold(k, name) && len(vs) > 0 {
			return vs[0]
		}
	}
	return ""
}

// readBody returns the JSON body of a request, decoded from base64 and gzip as needed,
// refusing anything over MaxBodyBytes at every stage.
func readBody(req *events.APIGatewayProxyRequest) ([]byte, error) {
	if ct := header(req, "Content-Type"); ct != "" {
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return nil, errUnsupportedType
		}
		// "utf8" is a common spelling of UTF-8 (MySQL, some HTTP clients).
		if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") &&
			!strings.EqualFold(cs, "utf8") {
			return nil, errUnsupportedCharset
		}
	}

	body := []byte(req.Body)
	if req.IsBase64Encoded {
		if base64.StdEncoding.DecodedLen(len(req.Body)) > MaxBodyBytes+3 {
			return nil, errTooLarge
		}
		decoded, err := base64.StdEncoding.DecodeString(req.Body)
		if err != nil {
			return nil, &badBody{"the body is marked base64 but is not valid base64", err}
		}
		body = decoded
	}
	if len(body) > MaxBodyBytes {
		return nil, errTooLarge
	}

	switch enc := strings.ToLower(strings.TrimSpace(header(req, "Content-Encoding"))); enc {
	case "", "identity":
		return body, nil
	case "gzip":
		return gunzip(body)
	default:
		return nil, fmt.Errorf("content-encoding %q is not supported (use gzip)", enc)
	}
}

// msgNotGzip is the answer to a body marked gzip that does not inflate: a bad header, a
// truncated or corrupt stream, or data after it.
const msgNotGzip = "the body is marked gzip (Content-Encoding) but is not valid gzip data"

// gunzip inflates at most MaxBodyBytes, so that a small bomb cannot fill memory.
func gunzip(body []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, &badBody{msgNotGzip, fmt.Errorf("gzip header: %w", err)}
	}
	defer zr.Close()

	out, err := io.ReadAll(io.LimitReader(zr, MaxBodyBytes+1))
	if err != nil {
		return nil, &badBody{msgNotGzip, fmt.Errorf("inflate gzip: %w", err)}
	}
	if len(out) > MaxBodyBytes {
		return nil, errTooLarge
	}
	return out, nil
}
