package config

import "errors"

// ErrAbsent is returned by Get while the configuration node does not
// exist (or before Start).
var ErrAbsent = errors.New("config: no value: the node does not exist")
