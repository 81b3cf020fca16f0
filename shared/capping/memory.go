package capping

import (
	"context"
	"slices"
	"sync"
)

// Memory is an in-process Store: for tests, benchmarks and the local analysis of the
// design. It never expires anything.
type Memory struct {
	mu       sync.RWMutex
	links    map[string]Link // tenant + "#" + key
	counters map[memRef]Counts
	marks    map[string]string // tenant + "#" + event id -> owner
}

type memRef struct {
	tenant string
	ref    Ref
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory {
	return &Memory{links: map[string]Link{}, counters: map[memRef]Counts{},
		marks: map[string]string{}}
}

// Links implements Store.
func (m *Memory) Links(_ context.Context, tenant string, keys []string) (map[string]Link, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make(map[string]Link, len(keys))
	for _, k := range keys {
		if l, ok := m.links[tenant+"#"+k]; ok {
			out[k] = Link{Person: l.Person, Members: slices.Clone(l.Members)}
		}
	}
	return out, nil
}

// AddLink implements Store.
func (m *Memory) AddLink(_ context.Context, tenant, key, person string, members []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.links[tenant+"#"+key]; !ok {
		m.links[tenant+"#"+key] = Link{Person: person, Members: addMember(members, key)}
	}
	root := m.links[tenant+"#"+person]
	if root.Person == "" {
		root.Person = person
	}
	root.Members = addMember(root.Members, key)
	m.links[tenant+"#"+person] = root
	for _, o := range members {
		if l, ok := m.links[tenant+"#"+o]; ok && o != key {
			l.Members = addMember(l.Members, key)
			m.links[tenant+"#"+o] = l
		}
	}
	return nil
}

func addMember(list []string, k string) []string {
	if slices.Contains(list, k) {
		return list
	}
	return append(slices.Clone(list), k)
}

// Counters implements Store.
func (m *Memory) Counters(_ context.Context, tenant string, refs []Ref) (map[Ref]Counts, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make(map[Ref]Counts, len(refs))
	for _, r := range refs {
		if c, ok := m.counters[memRef{tenant, r}]; ok {
			out[r] = c // read-only for callers; Count replaces, never mutates, a map
		}
	}
	return out, nil
}

// Count implements Store.
func (m *Memory) Count(_ context.Context, tenant string, ref Ref, inc *Increment) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	mark := tenant + "#" + inc.EventID
	if _, ok := m.marks[mark]; ok {
		return ErrAlreadyCounted
	}
	m.marks[mark] = inc.Owner
	old := m.counters[memRef{tenant, ref}]
	c := make(Counts, len(old)+len(inc.Add))
	for k, v := range old {
		c[k] = v
	}
	for _, k := range inc.Remove {
		delete(c, k)
	}
	for _, k := range inc.Add {
		c[k]++
	}
	m.counters[memRef{tenant, ref}] = c
	return nil
}
