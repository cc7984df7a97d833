package fhirapi

import (
	"encoding/json"
	"fmt"
	"slices"
)

// Capabilities is what a server's CapabilityStatement (GET {base}/metadata)
// says it offers, reduced to what Carebook asks.
type Capabilities struct {
	// FHIRVersion is the statement's fhirVersion ("4.0.1").
	FHIRVersion string
	// Types maps a resource type to what the server offers for it.
	Types map[string]TypeCapability
	// SystemInteractions are rest.interaction codes ("history-system", ...).
	SystemInteractions []string
	// Operations are rest-level operation names ("everything", ...).
	Operations []string
	// AuthorizeURL and TokenURL come from the SMART oauth-uris security
	// extension, if present.
	AuthorizeURL, TokenURL string
	// Raw is the statement as the server sent it.
	Raw json.RawMessage
}

// TypeCapability is one rest.resource entry.
type TypeCapability struct {
	Interactions      []string // "read", "search-type", "create", "history-type", ...
	SearchParams      []string // names: "patient", "_lastUpdated", ...
	Operations        []string // names: "everything", ...
	ConditionalCreate bool
	ConditionalUpdate bool
}

// Supports reports whether the server offers interaction on typ.
func (c *Capabilities) Supports(typ, interaction string) bool {
	if c == nil {
		return false
	}
	t, ok := c.Types[typ]
	return ok && slices.Contains(t.Interactions, interaction)
}

// HasType reports whether the statement lists typ at all.
func (c *Capabilities) HasType(typ string) bool {
	if c == nil {
		return false
	}
	_, ok := c.Types[typ]
	return ok
}

// SupportsEverything reports whether Patient/$everything is offered.
func (c *Capabilities) SupportsEverything() bool {
	if c == nil {
		return false
	}
	return slices.Contains(c.Types["Patient"].Operations, "everything") ||
		slices.Contains(c.Types["Patient"].Operations, "patient-everything") ||
		slices.Contains(c.Operations, "everything")
}

// SupportsSystemHistory reports whether GET {base}/_history is offered.
func (c *Capabilities) SupportsSystemHistory() bool {
	return c != nil && slices.Contains(c.SystemInteractions, "history-system")
}

// SupportsConditionalCreate reports whether creates of typ honor
// If-None-Exist.
func (c *Capabilities) SupportsConditionalCreate(typ string) bool {
	return c != nil && c.Types[typ].ConditionalCreate
}

// SupportsSearchParam reports whether typ can be searched by name.
func (c *Capabilities) SupportsSearchParam(typ, name string) bool {
	return c != nil && slices.Contains(c.Types[typ].SearchParams, name)
}

const oauthURIsExt = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"

// ParseCapabilities reads a CapabilityStatement. Only the first rest entry
// with mode "server" (or the first, if none says) is used.
func ParseCapabilities(raw []byte) (*Capabilities, error) {
	var cs struct {
		ResourceType string `json:"resourceType"`
		FHIRVersion  string `json:"fhirVersion"`
		Rest         []struct {
			Mode     string `json:"mode"`
			Security struct {
				Extension []struct {
					URL       string `json:"url"`
					Extension []struct {
						URL      string `json:"url"`
						ValueURI string `json:"valueUri"`
					} `json:"extension"`
				} `json:"extension"`
			} `json:"security"`
			Resource []struct {
				Type        string `json:"type"`
				Interaction []struct {
					Code string `json:"code"`
				} `json:"interaction"`
				SearchParam []struct {
					Name string `json:"name"`
				} `json:"searchParam"`
				Operation []struct {
					Name string `json:"name"`
				} `json:"operation"`
				ConditionalCreate bool `json:"conditionalCreate"`
				ConditionalUpdate bool `json:"conditionalUpdate"`
			} `json:"resource"`
			Interaction []struct {
				Code string `json:"code"`
			} `json:"interaction"`
			Operation []struct {
				Name string `json:"name"`
			} `json:"operation"`
		} `json:"rest"`
	}
	if err := json.Unmarshal(raw, &cs); err != nil {
		return nil, fmt.Errorf("%w: capability statement: %v", ErrBadResponse, err)
	}
	if cs.ResourceType != "CapabilityStatement" {
		return nil, fmt.Errorf("%w: metadata is a %q, want CapabilityStatement", ErrBadResponse, cs.ResourceType)
	}
	c := &Capabilities{FHIRVersion: cs.FHIRVersion, Types: map[string]TypeCapability{}, Raw: append(json.RawMessage(nil), raw...)}
	if len(cs.Rest) == 0 {
		return c, nil
	}
	rest := cs.Rest[0]
	for _, r := range cs.Rest {
		if r.Mode == "server" {
			rest = r
			break
		}
	}
	for _, ext := range rest.Security.Extension {
		if ext.URL != oauthURIsExt {
			continue
		}
		for _, sub := range ext.Extension {
			switch sub.URL {
			case "authorize":
				c.AuthorizeURL = sub.ValueURI
			case "token":
				c.TokenURL = sub.ValueURI
			}
		}
	}
	for _, in := range rest.Interaction {
		c.SystemInteractions = append(c.SystemInteractions, in.Code)
	}
	for _, op := range rest.Operation {
		c.Operations = append(c.Operations, op.Name)
	}
	for _, r := range rest.Resource {
		tc := TypeCapability{ConditionalCreate: r.ConditionalCreate, ConditionalUpdate: r.ConditionalUpdate}
		for _, in := range r.Interaction {
			tc.Interactions = append(tc.Interactions, in.Code)
		}
		for _, sp := range r.SearchParam {
			tc.SearchParams = append(tc.SearchParams, sp.Name)
		}
		for _, op := range r.Operation {
			tc.Operations = append(tc.Operations, op.Name)
		}
		c.Types[r.Type] = tc
	}
	return c, nil
}
