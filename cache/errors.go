package cache

import (
	"errors"
	"fmt"

	"github.com/zkrecipes/zkrecipes"
)

// ErrStarted is returned by a second Start of the same cache.
var ErrStarted = errors.New("cache: already started")

func misuseErr(fn, msg string) error {
	return fmt.Errorf("cache: %s: %s: %w", fn, msg, zkrecipes.ErrInvalidArgument)
}
