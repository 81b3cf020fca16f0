package event

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// SplitBatch splits a batch body, a JSON array of events, into the raw events without
// judging them, so that each can be decoded and rejected on its own.
func SplitBatch(body []byte) ([]json.RawMessage, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '[' {
		return nil, &FieldError{Reason: "body must be a JSON array of events"}
	}

	raws, err := splitArray(trimmed)
	if err != nil {
		return nil, &FieldError{Reason: fmt.Sprintf("body is not a valid JSON array: %v", err)}
	}
	if len(raws) == 0 {
		return nil, &FieldError{Reason: "batch is empty"}
	}
	if len(raws) > MaxBatchEvents {
		return nil, &FieldError{Reason: fmt.Sprintf("batch holds %d events, more than the limit of %d",
			len(raws), MaxBatchEvents)}
	}
	return raws, nil
}
