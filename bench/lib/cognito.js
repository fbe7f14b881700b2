// cognito-local speaks the AWS JSON protocol: POST / with X-Amz-Target.
"use strict";
const headers = (target) => ({
  "content-type": "application/x-amz-json-1.1",
  "x-amz-target": `AWSCognitoIdentityProviderService.${target}`,
});

async function call(url, target, body) {
  const res = await fetch(`${url}/`, {
    method: "POST",
    headers: headers(target),
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== 200)
    throw new Error(`cognito-local ${target}: ${res.status} ${text.slice(0, 200)}`);
  return JSON.parse(text);
}

/**
 * A pool (its default: e-mail usernames), an app client, `users` confirmed users, and the first
 * user's session (its refresh and access tokens).
 */
async function setup(url, password, users = 1) {
  const pool = (await call(url, "CreateUserPool", { PoolName: "bench" })).UserPool.Id;
  const clientId = (
    await call(url, "CreateUserPoolClient", { UserPoolId: pool, ClientName: "web" })
  ).UserPoolClient.ClientId;
  const usernames = [];
  for (let i = 0; i < users; i++) {
    const email = `bench-${i}@example.com`;
    const u = await call(url, "AdminCreateUser", {
      UserPoolId: pool,
      Username: email,
      TemporaryPassword: "Temp-passw0rd!",
      MessageAction: "SUPPRESS",
    });
    await call(url, "AdminSetUserPassword", {
      UserPoolId: pool,
      Username: u.User.Username,
      Password: password,
      Permanent: true,
    });
    usernames.push(email);
  }
  const auth = await call(url, "InitiateAuth", {
    ClientId: clientId,
    AuthFlow: "USER_PASSWORD_AUTH",
    AuthParameters: { USERNAME: usernames[0], PASSWORD: password },
  });
  return {
    pool,
    clientId,
    usernames,
    refreshToken: auth.AuthenticationResult.RefreshToken,
    accessToken: auth.AuthenticationResult.AccessToken,
  };
}

module.exports = { setup, call, headers };
