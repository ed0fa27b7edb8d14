package server

// What the black-box tests (package server_test) read inside a Server that
// neither the HTTP API nor an exported name shows. Keep it short: an
// assertion that /metrics or an SDK call can make belongs there.

import (
	"github.com/kvsclip/kvsclip/server/httpapi"
	"github.com/kvsclip/kvsclip/server/images"
	"github.com/kvsclip/kvsclip/server/metrics"
)

// Metrics is the server's registry, for tests that put values of their
// own through the exposition (odd label values, extreme observations).
func (s *Server) Metrics() *metrics.Metrics { return s.m }

// RouteTable is the API route table by path: every operation the server
// serves, which GetDataEndpoint's answers must all reach.
func (s *Server) RouteTable() map[string]httpapi.Route { return s.routes }

// ImageStats is GetImages' decoder counts, PeakDecodes among them, which
// /metrics does not show.
func (s *Server) ImageStats() images.Stats { return s.images.Stats() }

// PutMediaSessions is the number of PutMedia sessions holding a place
// under Config.Ingest.MaxPutMediaSessions.
func (s *Server) PutMediaSessions() int { return s.ingest.Sessions() }
