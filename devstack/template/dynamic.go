package template

import (
	"fmt"
	"regexp"
)

// SecretString is the attribute under which provisioning records a secret's value, so
// that dynamic references to it resolve locally.
const SecretString = "SecretString"

// dynamicRef matches a CloudFormation dynamic reference to a whole Secrets Manager
// secret: {{resolve:secretsmanager:<name or ARN>:SecretString:::}}. A json-key, version
// stage or version id is not supported locally.
var dynamicRef = regexp.MustCompile(
	`\{\{resolve:secretsmanager:(.+?):SecretString:([^:}]*):([^:}]*):([^:}]*)\}\}`)

// ResolveDynamic replaces the Secrets Manager dynamic references in s, as CloudFormation
// does at deploy time, with the values provisioning recorded (Values.SetAttr of
// SecretString). A reference to a secret of the template without a recorded value, or
// with a json-key or version, is an error.
func (v *Values) ResolveDynamic(s string) (string, error) {
	var firstErr error
	out := dynamicRef.ReplaceAllStringFunc(s, func(m string) string {
		g := dynamicRef.FindStringSubmatch(m)
		if g[2] != "" || g[3] != "" || g[4] != "" {
			firstErr = fmt.Errorf("dynamic reference %s: only whole secrets resolve locally", m)
			return ""
		}
		for id, p := range v.byID {
			if v.tpl.Resources[id].Type != TypeSecret || (p.Ref != g[1] && id != g[1]) {
				continue
			}
			if value, ok := p.Attrs[SecretString]; ok {
				return value
			}
		}
		firstErr = fmt.Errorf("dynamic reference %s: no provisioned secret %s", m, g[1])
		return ""
	})
	return out, firstErr
}
