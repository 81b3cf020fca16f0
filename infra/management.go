package main

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// JWTAudience is the aud claim of access tokens; auth issues it, the authorizer requires it.
const JWTAudience = "adpulse-management"

// DefaultCORSOrigins is the CORS allow-list of the management API when
// AdpulseStackProps.CORSOrigins is nil: the local web console's dev server.
var DefaultCORSOrigins = []string{"http://localhost:5173"}

// addManagementFunctions creates the auth, authorizer, admin and campaigns functions
// (docs/auth.md, docs/campaigns.md). JWT_ISSUER is added by setIssuer once the API exists.
func addManagementFunctions(stack awscdk.Stack, st storage, assetDir func(string) string,
	origins []string, fns *functions) {
	cors := jsii.String(strings.Join(origins, ","))
	info := jsii.String("info")
	fns.auth = newFunction(stack, assetDir, functionSpec{
		id: "Auth", folder: "auth",
		// argon2id takes 64 MiB per check and wants the CPU that comes with memory.
		memoryMB: 1024,
		timeout:  awscdk.Duration_Seconds(jsii.Number(10)),
		env: map[string]*string{
			"ACCOUNTS_TABLE":       st.accounts.TableName(),
			"SIGNING_KEY_SECRET":   st.signingKey.SecretArn(),
			"JWT_AUDIENCE":         jsii.String(JWTAudience),
			"CORS_ALLOWED_ORIGINS": cors,
			"LOG_LEVEL":            info,
		},
	})
	fns.authorizer = newFunction(stack, assetDir, functionSpec{
		id: "Authorizer", folder: "authorizer",
		memoryMB: 256,
		timeout:  awscdk.Duration_Seconds(jsii.Number(5)),
		env: map[string]*string{
			"ACCOUNTS_TABLE":     st.accounts.TableName(),
			"SIGNING_KEY_SECRET": st.signingKey.SecretArn(),
			"JWT_AUDIENCE":       jsii.String(JWTAudience),
			"LOG_LEVEL":          info,
		},
	})
	fns.admin = newFunction(stack, assetDir, functionSpec{
		id: "Admin", folder: "admin",
		memoryMB: 1024, // hashes initial passwords
		timeout:  awscdk.Duration_Seconds(jsii.Number(10)),
		env: map[string]*string{
			"ACCOUNTS_TABLE":       st.accounts.TableName(),
			"API_KEYS_TABLE":       st.apiKeys.TableName(),
			"CORS_ALLOWED_ORIGINS": cors,
			"LOG_LEVEL":            info,
		},
	})
	fns.campaigns = newFunction(stack, assetDir, functionSpec{
		// "Campaigns" is the table's construct id; construct ids are unique in a stack.
		id: "CampaignsFunction", folder: "campaigns",
		memoryMB: 512,
		timeout:  awscdk.Duration_Seconds(jsii.Number(10)),
		env: map[string]*string{
			"CAMPAIGNS_TABLE": st.campaigns.TableName(),
			// A {{resolve:secretsmanager:...}} reference that CloudFormation fills in at
			// deploy time: the value is in no template and no code. The function reads
			// it from its environment, so it needs no Secrets Manager permission.
			"CURSOR_SECRET":        st.cursorSecret.SecretValue().UnsafeUnwrap(),
			"CORS_ALLOWED_ORIGINS": cors,
			"LOG_LEVEL":            info,
		},
	})
}

// setIssuer gives auth and authorizer the same JWT_ISSUER: the API's execute-api URL.
func setIssuer(stack awscdk.Stack, fns functions, restAPIID *string) {
	issuer := jsii.String("https://" + *restAPIID + ".execute-api." + *stack.Region() +
		"." + *stack.UrlSuffix())
	fns.auth.AddEnvironment(jsii.String("JWT_ISSUER"), issuer, nil)
	fns.authorizer.AddEnvironment(jsii.String("JWT_ISSUER"), issuer, nil)
}

// grantManagement gives the management functions the calls they make and no more.
// Transactions need the per-item action of each of their items (Put, Update,
// ConditionCheck); there is no IAM action for TransactWriteItems itself.
func grantManagement(fns functions, st storage) {
	accountsRW := []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
		"dynamodb:DeleteItem", "dynamodb:Query", "dynamodb:ConditionCheckItem"}
	readKey := "secretsmanager:GetSecretValue"

	// Auth signs users in: accounts, refresh families, failure counters, signing key.
	allow(fns.auth, st.accounts.TableArn(), accountsRW...)
	allow(fns.auth, st.signingKey.SecretArn(), readKey)

	// The authorizer verifies tokens and reads one user per cache miss.
	allow(fns.authorizer, st.accounts.TableArn(), "dynamodb:GetItem")
	allow(fns.authorizer, st.signingKey.SecretArn(), readKey)

	// Admin manages users and the tenant's ingest keys (listed through by-tenant).
	allow(fns.admin, st.accounts.TableArn(), accountsRW...)
	allow(fns.admin, st.apiKeys.TableArn(),
		"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")
	allow(fns.admin, indexARN(st.apiKeys, keysByTenantIndex), "dynamodb:Query")

	// Campaigns writes every change as one transaction of conditional puts and lists
	// through the three sort indexes.
	allow(fns.campaigns, st.campaigns.TableArn(),
		"dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem")
	allow(fns.campaigns, indexARN(st.campaigns, "*"), "dynamodb:Query")
}
