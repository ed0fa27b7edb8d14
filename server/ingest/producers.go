package ingest

import "sync"

// producerSet is the PutMedia session of each stream.
type producerSet struct {
	mu       sync.Mutex
	sessions map[string]*putSession
}

// take makes ps its stream's session, ending the one it replaces.
func (p *producerSet) take(ps *putSession) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.sessions == nil {
		p.sessions = map[string]*putSession{}
	}
	if old := p.sessions[ps.stream.Name]; old != nil {
		old.body.replace()
	}
	p.sessions[ps.stream.Name] = ps
}

// release forgets ps, unless a newer session has its stream.
func (p *producerSet) release(ps *putSession) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.sessions[ps.stream.Name] == ps {
		delete(p.sessions, ps.stream.Name)
	}
}
