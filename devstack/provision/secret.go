package provision

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/adpulse/adpulse/devstack/template"
)

// secretProps are the properties of AWS::SecretsManager::Secret the local secret needs.
type secretProps struct {
	Description          string
	SecretString         *string
	GenerateSecretString *struct {
		PasswordLength     int
		ExcludePunctuation bool
	}
}

// secret creates one secret with the template's value, or one generated as Secrets
// Manager would, and records its ARN (Ref) and value in vals. A secret that exists
// already keeps its value.
func secret(ctx context.Context, sm *secretsmanager.Client, tpl *template.Template,
	vals *template.Values, id string) error {
	if sm == nil {
		return fmt.Errorf("secret %s: no Secrets Manager client", id)
	}
	var p secretProps
	if err := tpl.Properties(id, &p); err != nil {
		return err
	}
	value := aws.ToString(p.SecretString)
	if p.SecretString == nil {
		length, punctuation := 32, true // Secrets Manager's defaults
		if g := p.GenerateSecretString; g != nil {
			if g.PasswordLength > 0 {
				length = g.PasswordLength
			}
			punctuation = !g.ExcludePunctuation
		}
		value = randomString(length, punctuation)
	}

	// Before provisioning, the local Ref is arn:...:secret:<name> (template.Values).
	_, name, _ := strings.Cut(vals.Name(id), ":secret:")
	out, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String(name), Description: aws.String(p.Description),
		SecretString: aws.String(value)})
	var arn string
	var exists *smtypes.ResourceExistsException
	switch {
	case err == nil:
		arn = aws.ToString(out.ARN)
	case errors.As(err, &exists):
		got, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{
			SecretId: aws.String(name)})
		if err != nil {
			return fmt.Errorf("read secret %s: %w", name, err)
		}
		arn, value = aws.ToString(got.ARN), aws.ToString(got.SecretString)
	default:
		return fmt.Errorf("create secret %s: %w", name, err)
	}
	vals.SetAttr(id, "Ref", arn)
	vals.SetAttr(id, template.SecretString, value)
	return nil
}

// randomString returns n random characters: letters and digits, and punctuation when
// asked, as Secrets Manager's GenerateSecretString does.
func randomString(n int, punctuation bool) string {
	chars := "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	if punctuation {
		chars += "!#$%&()*+,-.:;<=>?@[]^_{|}~"
	}
	// Bytes at or above limit are dropped so that every character is equally likely.
	limit := 256 - 256%len(chars)
	out := make([]byte, 0, n)
	buf := make([]byte, 64)
	for len(out) < n {
		_, _ = rand.Read(buf) // never fails (crypto/rand)
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, chars[int(b)%len(chars)])
			}
		}
	}
	return string(out)
}
