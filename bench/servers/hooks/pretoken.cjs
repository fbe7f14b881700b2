// The hook section 8 of `npm run bench` measures: a typical multi-tenant
// preTokenGeneration (Cognito's V2_0 shape) that adds a claim to both tokens and a scope to
// the access token, the kind of work docs/hooks.md's example does. In-process, so its cost is
// the event's construction, the call and the overrides' checks and application.
"use strict";

exports.preTokenGeneration = async (event) => {
  const tenant = event.request.userAttributes["custom:tenant"] ?? "tenant-1";
  event.response = {
    claimsAndScopeOverrideDetails: {
      idTokenGeneration: { claimsToAddOrOverride: { tenant_id: tenant } },
      accessTokenGeneration: {
        claimsToAddOrOverride: { tenant_id: tenant },
        scopesToAdd: [`tenant/${tenant}`],
      },
    },
  };
  return event;
};
