package provision

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/adpulse/adpulse/devstack/template"
)

// TypeEmailIdentity is the CloudFormation type of an SES v2 email identity.
const TypeEmailIdentity = "AWS::SES::EmailIdentity"

// EmailIdentities creates every SES email identity of tpl (kumo verifies them at once;
// AWS sends a verification mail or checks DKIM records) and returns their names.
func EmailIdentities(ctx context.Context, ses *sesv2.Client, tpl *template.Template) (
	[]string, error) {
	var names []string
	for _, id := range tpl.LogicalIDs(TypeEmailIdentity) {
		var p struct{ EmailIdentity string }
		if err := tpl.Properties(id, &p); err != nil {
			return nil, err
		}
		if p.EmailIdentity == "" {
			return nil, fmt.Errorf("email identity %s: EmailIdentity is not a literal", id)
		}
		_, err := ses.CreateEmailIdentity(ctx, &sesv2.CreateEmailIdentityInput{
			EmailIdentity: aws.String(p.EmailIdentity)})
		var exists *sestypes.AlreadyExistsException
		if err != nil && !errors.As(err, &exists) {
			return nil, fmt.Errorf("create email identity %s: %w", p.EmailIdentity, err)
		}
		names = append(names, p.EmailIdentity)
	}
	return names, nil
}
