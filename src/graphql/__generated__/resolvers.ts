import type { GraphQLResolveInfo } from 'graphql';
import type { UserModel, AppClientModel, AssociateSoftwareTokenModel } from '../models';
import type { GatewayContext } from '../context';
export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
export type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
export type MakeOptional<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]?: Maybe<T[SubKey]> };
export type MakeMaybe<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]: Maybe<T[SubKey]> };
export type MakeEmpty<T extends { [key: string]: unknown }, K extends keyof T> = { [_ in K]?: never };
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
export type Omit<T, K extends keyof T> = Pick<T, Exclude<keyof T, K>>;
export type RequireFields<T, K extends keyof T> = Omit<T, K> & { [P in K]-?: NonNullable<T[P]> };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  _FieldSet: { input: string; output: string; }
};

/**
 * CreateUserPoolClient. URLs: https:, http: only for localhost / 127.0.0.1 / [::1], or a native
 * app's scheme (com.example.app:/callback, myapp://callback); no fragment, no user@; at most 100
 * of at most 1024 characters each.
 */
export type AdminCreateAppClientInput = {
  /** 300 to 86400; default 3600. */
  accessTokenValiditySeconds?: InputMaybe<Scalars['Int']['input']>;
  /** Default: [client_credentials] with generateSecret, [] without. */
  allowedOAuthFlows?: InputMaybe<Array<OAuthFlow>>;
  /** Default: openid email profile. */
  allowedOAuthScopes?: InputMaybe<Array<Scalars['String']['input']>>;
  /** 3 to 15; default 3. */
  authSessionValidityMinutes?: InputMaybe<Scalars['Int']['input']>;
  /** Default: none. */
  callbackUrls?: InputMaybe<Array<Scalars['String']['input']>>;
  /** A confidential client, with a secret (shown once in the result). */
  generateSecret?: InputMaybe<Scalars['Boolean']['input']>;
  /** 300 to 86400; default 3600. */
  idTokenValiditySeconds?: InputMaybe<Scalars['Int']['input']>;
  /** Default: none. */
  logoutUrls?: InputMaybe<Array<Scalars['String']['input']>>;
  name: Scalars['String']['input'];
  /** 3600 to 315360000; default 30 days. */
  refreshTokenValiditySeconds?: InputMaybe<Scalars['Int']['input']>;
  rotateRefreshTokens?: InputMaybe<Scalars['Boolean']['input']>;
};

export type AdminCreateUserInput = {
  attributes?: InputMaybe<Array<AttributeInput>>;
  groups?: InputMaybe<Array<Scalars['String']['input']>>;
  /** SUPPRESS: send no invitation; RESEND: a new temporary password and invitation for an existing FORCE_CHANGE_PASSWORD user. */
  messageAction?: InputMaybe<MessageAction>;
  /** A permanent password: the user is CONFIRMED at once and no message is sent (poolgate's shortcut). */
  password?: InputMaybe<Scalars['String']['input']>;
  /**
   * A temporary password (FORCE_CHANGE_PASSWORD: good only to answer NEW_PASSWORD_REQUIRED, for
   * POOLGATE_TEMPORARY_PASSWORD_VALIDITY_DAYS). Neither this nor password: one is generated and
   * sent in an invitation to the email attribute.
   */
  temporaryPassword?: InputMaybe<Scalars['String']['input']>;
  username: Scalars['String']['input'];
};

/** Each list given replaces the client's list; one left out (or null) stays as it is. */
export type AdminUpdateAppClientInput = {
  allowedOAuthFlows?: InputMaybe<Array<OAuthFlow>>;
  allowedOAuthScopes?: InputMaybe<Array<Scalars['String']['input']>>;
  callbackUrls?: InputMaybe<Array<Scalars['String']['input']>>;
  clientId: Scalars['ID']['input'];
  logoutUrls?: InputMaybe<Array<Scalars['String']['input']>>;
};

/** An app client (Cognito's UserPoolClient). Its secret is shown once, at creation, never here. */
export type AppClient = {
  __typename?: 'AppClient';
  accessTokenValiditySeconds: Scalars['Int']['output'];
  allowedOAuthFlows: Array<OAuthFlow>;
  /** Cognito's AllowedOAuthScopes: the scopes the client's tokens may carry. */
  allowedOAuthScopes: Array<Scalars['String']['output']>;
  /** How long a challenge session of this client lives (Cognito's AuthSessionValidity). */
  authSessionValidityMinutes: Scalars['Int']['output'];
  /** Cognito's CallbackURLs: the redirect_uri values /oauth2/authorize accepts (exact match). */
  callbackUrls: Array<Scalars['String']['output']>;
  clientId: Scalars['ID']['output'];
  /** Has a secret (a confidential client). */
  confidential: Scalars['Boolean']['output'];
  /** When the client was created (ISO 8601, UTC). */
  createdAt: Scalars['String']['output'];
  enabled: Scalars['Boolean']['output'];
  idTokenValiditySeconds: Scalars['Int']['output'];
  /** Cognito's LogoutURLs: where sign-out may send the browser back to (exact match). */
  logoutUrls: Array<Scalars['String']['output']>;
  name: Scalars['String']['output'];
  refreshTokenValiditySeconds: Scalars['Int']['output'];
  rotateRefreshTokens: Scalars['Boolean']['output'];
};

export type AssociateSoftwareTokenResult = {
  __typename?: 'AssociateSoftwareTokenResult';
  /** otpauth://totp/… for a QR code. */
  otpauthUri: Scalars['String']['output'];
  /** An SVG QR code of otpauthUri, for pages that cannot draw one (computed only when asked for). */
  qrCodeSvg: Scalars['String']['output'];
  /** The shared secret, Base32: what an authenticator app is given. */
  secretCode: Scalars['String']['output'];
  /** With an MFA_SETUP session: the session to pass to verifySoftwareToken. */
  session?: Maybe<Scalars['String']['output']>;
};

export type Attribute = {
  __typename?: 'Attribute';
  name: Scalars['String']['output'];
  value: Scalars['String']['output'];
};

export type AttributeInput = {
  /** A standard attribute (email, phone_number, name, …) or custom:*. */
  name: Scalars['String']['input'];
  value: Scalars['String']['input'];
};

export type AuthFlow =
  /** Choice-based sign-in: with a password, as USER_PASSWORD_AUTH; without, SELECT_CHALLENGE. */
  | 'USER_AUTH'
  | 'USER_PASSWORD_AUTH'
  /** Cognito's SRP: srpA in, PASSWORD_VERIFIER out; the password is never sent (docs/srp.md). */
  | 'USER_SRP_AUTH';

/** Either authenticationResult (signed in) or a challenge to answer with respondToAuthChallenge. */
export type AuthFlowResult = {
  __typename?: 'AuthFlowResult';
  authenticationResult?: Maybe<AuthenticationResult>;
  /** SELECT_CHALLENGE: the first factors offered. */
  availableChallenges?: Maybe<Array<ChallengeName>>;
  challengeName?: Maybe<ChallengeName>;
  /** Cognito's ChallengeParameters (lists as JSON text, e.g. MFAS_CAN_CHOOSE). */
  challengeParameters: Array<Attribute>;
  session?: Maybe<Scalars['String']['output']>;
};

export type AuthenticationResult = {
  __typename?: 'AuthenticationResult';
  accessToken: Scalars['String']['output'];
  /** The access token's lifetime in seconds. */
  expiresIn: Scalars['Int']['output'];
  idToken?: Maybe<Scalars['String']['output']>;
  /** Absent on a refresh unless the client rotates refresh tokens. */
  refreshToken?: Maybe<Scalars['String']['output']>;
  /** Always Bearer. */
  tokenType: Scalars['String']['output'];
};

export type ChallengeName =
  | 'EMAIL_OTP'
  | 'MFA_SETUP'
  | 'NEW_PASSWORD_REQUIRED'
  | 'PASSWORD'
  /** USER_AUTH's SRP first factor: as preferredChallenge (with srpA) or SELECT_CHALLENGE's ANSWER (with SRP_A). */
  | 'PASSWORD_SRP'
  /** Cognito's SRP step (USER_SRP_AUTH): answered with the password claim, without a session (docs/srp.md). */
  | 'PASSWORD_VERIFIER'
  | 'SELECT_CHALLENGE'
  | 'SELECT_MFA_TYPE'
  | 'SOFTWARE_TOKEN_MFA';

export type ChangePasswordInput = {
  previousPassword: Scalars['String']['input'];
  proposedPassword: Scalars['String']['input'];
};

export type ClientCredentialsInput = {
  clientId: Scalars['ID']['input'];
  clientSecret: Scalars['String']['input'];
  /** Custom scopes (resource-server/scope); default: every custom scope the client is allowed. */
  scopes?: InputMaybe<Array<Scalars['String']['input']>>;
};

export type ClientCredentialsResult = {
  __typename?: 'ClientCredentialsResult';
  accessToken: Scalars['String']['output'];
  /** The access token's lifetime in seconds. */
  expiresIn: Scalars['Int']['output'];
  /** The granted scopes, space-separated. */
  scope: Scalars['String']['output'];
  /** Always Bearer. */
  tokenType: Scalars['String']['output'];
};

/** Where a code was sent; the destination is masked (a***@e***.com). */
export type CodeDeliveryDetails = {
  __typename?: 'CodeDeliveryDetails';
  attributeName?: Maybe<Scalars['String']['output']>;
  deliveryMedium?: Maybe<Scalars['String']['output']>;
  destination?: Maybe<Scalars['String']['output']>;
};

export type ConfirmForgotPasswordInput = {
  clientId: Scalars['ID']['input'];
  clientSecret?: InputMaybe<Scalars['String']['input']>;
  code: Scalars['String']['input'];
  password: Scalars['String']['input'];
  username: Scalars['String']['input'];
};

export type ConfirmSignUpInput = {
  clientId: Scalars['ID']['input'];
  clientSecret?: InputMaybe<Scalars['String']['input']>;
  code: Scalars['String']['input'];
  username: Scalars['String']['input'];
};

export type CreatedAppClient = {
  __typename?: 'CreatedAppClient';
  client: AppClient;
  /** With generateSecret: the client secret, shown this once and never again; null otherwise. */
  clientSecret?: Maybe<Scalars['String']['output']>;
};

export type ForgotPasswordInput = {
  clientId: Scalars['ID']['input'];
  clientSecret?: InputMaybe<Scalars['String']['input']>;
  username: Scalars['String']['input'];
};

export type InitiateAuthInput = {
  authFlow: AuthFlow;
  clientId: Scalars['ID']['input'];
  clientSecret?: InputMaybe<Scalars['String']['input']>;
  /** Browsers: when tokens are issued, the refresh token goes in an HttpOnly cookie (docs/browser.md). */
  cookie?: InputMaybe<Scalars['Boolean']['input']>;
  password?: InputMaybe<Scalars['String']['input']>;
  /** USER_AUTH: the first factor wanted (Cognito's PREFERRED_CHALLENGE). */
  preferredChallenge?: InputMaybe<ChallengeName>;
  /** Requested scopes; default: every scope the client allows and the user may have. */
  scopes?: InputMaybe<Array<Scalars['String']['input']>>;
  /** USER_SRP_AUTH, or USER_AUTH with PASSWORD_SRP: the client's SRP_A (hex). */
  srpA?: InputMaybe<Scalars['String']['input']>;
  username: Scalars['String']['input'];
};

export type MessageAction =
  | 'RESEND'
  | 'SUPPRESS';

export type MfaFactor =
  | 'EMAIL_OTP'
  | 'SOFTWARE_TOKEN_MFA';

export type MfaFactorPreference = {
  enabled: Scalars['Boolean']['input'];
  preferred?: InputMaybe<Scalars['Boolean']['input']>;
};

export type MfaPreferenceInput = {
  email?: InputMaybe<MfaFactorPreference>;
  softwareToken?: InputMaybe<MfaFactorPreference>;
};

/** A user's second factors. */
export type MfaSettings = {
  __typename?: 'MfaSettings';
  /** Factors turned on (that the pool offers). */
  enabled: Array<MfaFactor>;
  preferred?: Maybe<MfaFactor>;
};

export type Mutation = {
  __typename?: 'Mutation';
  adminAddUserToGroup: Scalars['Boolean']['output'];
  /** CreateUserPoolClient: a new app client and, with generateSecret, its secret (shown this once). */
  adminCreateAppClient: CreatedAppClient;
  adminCreateResourceServer: ResourceServer;
  adminCreateUser: User;
  adminDeleteResourceServer: Scalars['Boolean']['output'];
  adminDeleteUser: Scalars['Boolean']['output'];
  adminDisableUser: Scalars['Boolean']['output'];
  adminEnableUser: Scalars['Boolean']['output'];
  adminRemoveUserFromGroup: Scalars['Boolean']['output'];
  /** Removes a user's authenticator and MFA preferences (a lost device); with MFA ON they set up again at the next sign-in. */
  adminResetUserMfa: Scalars['Boolean']['output'];
  adminResetUserPassword: Scalars['Boolean']['output'];
  /** AdminSetUserMFAPreference. */
  adminSetUserMfaPreference: Scalars['Boolean']['output'];
  adminSetUserPassword: Scalars['Boolean']['output'];
  /** UpdateUserPoolClient for the OAuth settings: each list given replaces the client's list. */
  adminUpdateAppClient: AppClient;
  adminUpdateResourceServer: ResourceServer;
  adminUserGlobalSignOut: Scalars['Boolean']['output'];
  /** AssociateSoftwareToken: a TOTP secret, for the caller (access token) or an MFA_SETUP session. */
  associateSoftwareToken: AssociateSoftwareTokenResult;
  changePassword: Scalars['Boolean']['output'];
  /** The client-credentials grant for GraphQL-only callers: an access token for a confidential client. */
  clientCredentials: ClientCredentialsResult;
  /** ConfirmForgotPassword: the code and a new password; every session of the user is revoked. */
  confirmForgotPassword: Scalars['Boolean']['output'];
  confirmSignUp: Scalars['Boolean']['output'];
  /** ForgotPassword: a code to the user's verified email. Every username gets the same kind of answer. */
  forgotPassword: CodeDeliveryDetails;
  /** GetUserAttributeVerificationCode: a code to the caller's email. */
  getUserAttributeVerificationCode: CodeDeliveryDetails;
  /** Revokes every session of the caller. */
  globalSignOut: Scalars['Boolean']['output'];
  /** InitiateAuth: tokens, or the first challenge of a sign-in conversation (docs/mfa.md). */
  initiateAuth: AuthFlowResult;
  /** REFRESH_TOKEN_AUTH: new ID and access tokens of the same session (and a new refresh token when the client rotates them). */
  refresh: AuthenticationResult;
  /** ResendConfirmationCode: a new sign-up code. Every username gets the same kind of answer. */
  resendConfirmationCode: CodeDeliveryDetails;
  /** RespondToAuthChallenge: answers the challenge a session names; tokens or the next challenge. */
  respondToAuthChallenge: AuthFlowResult;
  /** RevokeToken: revokes the refresh token's session; its ID and access tokens stop working on the next request. */
  revoke: Scalars['Boolean']['output'];
  /** SetUserMFAPreference for the caller. */
  setUserMfaPreference: Scalars['Boolean']['output'];
  /** USER_PASSWORD_AUTH: a new session with ID, access and refresh tokens. */
  signIn: AuthenticationResult;
  /** Self-registration, when the pool allows it (POOLGATE_SELF_SIGN_UP). */
  signUp: SignUpResult;
  /** UpdateUserAttributes for the caller: a changed email is unverified until verifyUserAttribute. */
  updateUserAttributes: Array<CodeDeliveryDetails>;
  /** VerifySoftwareToken: a code of the associated secret turns the authenticator on. */
  verifySoftwareToken: VerifySoftwareTokenResult;
  /** VerifyUserAttribute: the code sent to the caller's email marks it verified. */
  verifyUserAttribute: Scalars['Boolean']['output'];
};


export type MutationAdminAddUserToGroupArgs = {
  group: Scalars['String']['input'];
  username: Scalars['String']['input'];
};


export type MutationAdminCreateAppClientArgs = {
  input: AdminCreateAppClientInput;
};


export type MutationAdminCreateResourceServerArgs = {
  input: ResourceServerInput;
};


export type MutationAdminCreateUserArgs = {
  input: AdminCreateUserInput;
};


export type MutationAdminDeleteResourceServerArgs = {
  id: Scalars['String']['input'];
};


export type MutationAdminDeleteUserArgs = {
  username: Scalars['String']['input'];
};


export type MutationAdminDisableUserArgs = {
  username: Scalars['String']['input'];
};


export type MutationAdminEnableUserArgs = {
  username: Scalars['String']['input'];
};


export type MutationAdminRemoveUserFromGroupArgs = {
  group: Scalars['String']['input'];
  username: Scalars['String']['input'];
};


export type MutationAdminResetUserMfaArgs = {
  username: Scalars['String']['input'];
};


export type MutationAdminResetUserPasswordArgs = {
  username: Scalars['String']['input'];
};


export type MutationAdminSetUserMfaPreferenceArgs = {
  input: MfaPreferenceInput;
  username: Scalars['String']['input'];
};


export type MutationAdminSetUserPasswordArgs = {
  password: Scalars['String']['input'];
  permanent?: Scalars['Boolean']['input'];
  username: Scalars['String']['input'];
};


export type MutationAdminUpdateAppClientArgs = {
  input: AdminUpdateAppClientInput;
};


export type MutationAdminUpdateResourceServerArgs = {
  input: ResourceServerInput;
};


export type MutationAdminUserGlobalSignOutArgs = {
  username: Scalars['String']['input'];
};


export type MutationAssociateSoftwareTokenArgs = {
  session?: InputMaybe<Scalars['String']['input']>;
};


export type MutationChangePasswordArgs = {
  input: ChangePasswordInput;
};


export type MutationClientCredentialsArgs = {
  input: ClientCredentialsInput;
};


export type MutationConfirmForgotPasswordArgs = {
  input: ConfirmForgotPasswordInput;
};


export type MutationConfirmSignUpArgs = {
  input: ConfirmSignUpInput;
};


export type MutationForgotPasswordArgs = {
  input: ForgotPasswordInput;
};


export type MutationGetUserAttributeVerificationCodeArgs = {
  attributeName: Scalars['String']['input'];
};


export type MutationInitiateAuthArgs = {
  input: InitiateAuthInput;
};


export type MutationRefreshArgs = {
  input: RefreshInput;
};


export type MutationResendConfirmationCodeArgs = {
  input: ResendConfirmationCodeInput;
};


export type MutationRespondToAuthChallengeArgs = {
  input: RespondToAuthChallengeInput;
};


export type MutationRevokeArgs = {
  input: RevokeInput;
};


export type MutationSetUserMfaPreferenceArgs = {
  input: MfaPreferenceInput;
};


export type MutationSignInArgs = {
  input: SignInInput;
};


export type MutationSignUpArgs = {
  input: SignUpInput;
};


export type MutationUpdateUserAttributesArgs = {
  attributes: Array<AttributeInput>;
};


export type MutationVerifySoftwareTokenArgs = {
  input: VerifySoftwareTokenInput;
};


export type MutationVerifyUserAttributeArgs = {
  attributeName: Scalars['String']['input'];
  code: Scalars['String']['input'];
};

/** Cognito's AllowedOAuthFlows (its own lowercase names). */
export type OAuthFlow =
  /** Client credentials grant (machine to machine); needs a client secret. */
  | 'client_credentials'
  /** Authorization code grant (with PKCE for public clients); needs a callback URL. */
  | 'code'
  /** Implicit grant (tokens in the redirect); needs a callback URL. Prefer code. */
  | 'implicit';

export type Query = {
  __typename?: 'Query';
  /** DescribeUserPoolClient: an app client, or null when there is none (never its secret). */
  adminAppClient?: Maybe<AppClient>;
  /** ListUserPoolClients: every app client, oldest first (never a secret). */
  adminAppClients: Array<AppClient>;
  /** An admin's view of any user. */
  adminGetUser?: Maybe<User>;
  /** Resource servers and the custom scopes they define. */
  adminResourceServers: Array<ResourceServer>;
  /** The caller's ID-token claims as the store has them now (not as the token froze them). */
  me?: Maybe<User>;
};


export type QueryAdminAppClientArgs = {
  clientId: Scalars['ID']['input'];
};


export type QueryAdminGetUserArgs = {
  username: Scalars['String']['input'];
};

export type RefreshInput = {
  clientId: Scalars['ID']['input'];
  clientSecret?: InputMaybe<Scalars['String']['input']>;
  /** Omitted: the refresh token of the client's cookie (cookie mode). */
  refreshToken?: InputMaybe<Scalars['String']['input']>;
};

export type ResendConfirmationCodeInput = {
  clientId: Scalars['ID']['input'];
  clientSecret?: InputMaybe<Scalars['String']['input']>;
  username: Scalars['String']['input'];
};

export type ResourceServer = {
  __typename?: 'ResourceServer';
  id: Scalars['String']['output'];
  name: Scalars['String']['output'];
  scopes: Array<Scalars['String']['output']>;
};

export type ResourceServerInput = {
  /** The identifier: the prefix of its scopes (e.g. orders in orders/read). */
  id: Scalars['String']['input'];
  name?: InputMaybe<Scalars['String']['input']>;
  /** Scope names without the prefix (e.g. read, write). */
  scopes: Array<Scalars['String']['input']>;
};

export type RespondToAuthChallengeInput = {
  challengeName: ChallengeName;
  clientId: Scalars['ID']['input'];
  clientSecret?: InputMaybe<Scalars['String']['input']>;
  /** Browsers: when tokens are issued, the refresh token goes in an HttpOnly cookie (docs/browser.md). */
  cookie?: InputMaybe<Scalars['Boolean']['input']>;
  /** Cognito's ChallengeResponses, e.g. NEW_PASSWORD, SOFTWARE_TOKEN_MFA_CODE, EMAIL_OTP_CODE, ANSWER, userAttributes.name. */
  responses: Array<AttributeInput>;
  /** The session of the challenge being answered (single use); none for PASSWORD_VERIFIER. */
  session?: InputMaybe<Scalars['String']['input']>;
};

export type RevokeInput = {
  clientId: Scalars['ID']['input'];
  clientSecret?: InputMaybe<Scalars['String']['input']>;
  /** Omitted: the refresh token of the client's cookie (cookie mode), which is then cleared. */
  token?: InputMaybe<Scalars['String']['input']>;
};

export type SignInInput = {
  clientId: Scalars['ID']['input'];
  clientSecret?: InputMaybe<Scalars['String']['input']>;
  /** Browsers: set the refresh token as an HttpOnly __Host- cookie and return refreshToken null (docs/browser.md). */
  cookie?: InputMaybe<Scalars['Boolean']['input']>;
  password: Scalars['String']['input'];
  /** Requested scopes; default: every scope the client allows and the user may have. */
  scopes?: InputMaybe<Array<Scalars['String']['input']>>;
  username: Scalars['String']['input'];
};

export type SignUpInput = {
  attributes?: InputMaybe<Array<AttributeInput>>;
  clientId: Scalars['ID']['input'];
  clientSecret?: InputMaybe<Scalars['String']['input']>;
  password: Scalars['String']['input'];
  username: Scalars['String']['input'];
};

export type SignUpResult = {
  __typename?: 'SignUpResult';
  /** Where the confirmation code was sent (email or phone number), if anywhere. */
  codeDeliveryDestination?: Maybe<Scalars['String']['output']>;
  userConfirmed: Scalars['Boolean']['output'];
  userSub: Scalars['ID']['output'];
};

/**
 * A user of the pool: an entity other subgraphs reference by `sub`. Only a signed-in caller
 * sees any of it (@authenticated); through `_entities` a caller sees only their own user unless
 * they have `poolgate/admin` (docs/federation.md).
 */
export type User = {
  __typename?: 'User';
  /** Every standard and custom:* attribute that is set. */
  attributes: Array<Attribute>;
  /** Seconds since the epoch of the sign-in behind the caller's token (only on me). */
  authTime?: Maybe<Scalars['Int']['output']>;
  confirmed: Scalars['Boolean']['output'];
  email?: Maybe<Scalars['String']['output']>;
  emailVerified?: Maybe<Scalars['Boolean']['output']>;
  enabled: Scalars['Boolean']['output'];
  familyName?: Maybe<Scalars['String']['output']>;
  givenName?: Maybe<Scalars['String']['output']>;
  groups: Array<Scalars['String']['output']>;
  /** The user's second factors. */
  mfa: MfaSettings;
  name?: Maybe<Scalars['String']['output']>;
  phoneNumber?: Maybe<Scalars['String']['output']>;
  phoneNumberVerified?: Maybe<Scalars['Boolean']['output']>;
  status: UserStatus;
  sub: Scalars['ID']['output'];
  username: Scalars['String']['output'];
};

/** Cognito's UserStatus. */
export type UserStatus =
  | 'CONFIRMED'
  | 'FORCE_CHANGE_PASSWORD'
  | 'RESET_REQUIRED'
  | 'UNCONFIRMED';

export type VerifySoftwareTokenInput = {
  friendlyDeviceName?: InputMaybe<Scalars['String']['input']>;
  /** The session associateSoftwareToken returned (MFA_SETUP); without it, the caller's access token. */
  session?: InputMaybe<Scalars['String']['input']>;
  userCode: Scalars['String']['input'];
};

export type VerifySoftwareTokenResult = {
  __typename?: 'VerifySoftwareTokenResult';
  /** With a session: the one to answer MFA_SETUP with. */
  session?: Maybe<Scalars['String']['output']>;
  /** SUCCESS (a wrong code is the error ENABLE_SOFTWARE_TOKEN_MFA). */
  status: Scalars['String']['output'];
};



export type ResolverTypeWrapper<T> = Promise<T> | T;

export type ReferenceResolver<TResult, TReference, TContext> = (
      reference: TReference,
      context: TContext,
      info: GraphQLResolveInfo
    ) => Promise<TResult> | TResult;

      type ScalarCheck<T, S> = S extends true ? T : NullableCheck<T, S>;
      type NullableCheck<T, S> = Maybe<T> extends T ? Maybe<ListCheck<NonNullable<T>, S>> : ListCheck<T, S>;
      type ListCheck<T, S> = T extends (infer U)[] ? NullableCheck<U, S>[] : GraphQLRecursivePick<T, S>;
      export type GraphQLRecursivePick<T, S> = { [K in keyof T & keyof S]: ScalarCheck<T[K], S[K]> };
    

export type ResolverWithResolve<TResult, TParent, TContext, TArgs> = {
  resolve: ResolverFn<TResult, TParent, TContext, TArgs>;
};
export type Resolver<TResult, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = ResolverFn<TResult, TParent, TContext, TArgs> | ResolverWithResolve<TResult, TParent, TContext, TArgs>;

export type ResolverFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => Promise<TResult> | TResult;

export type SubscriptionSubscribeFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => AsyncIterable<TResult> | Promise<AsyncIterable<TResult>>;

export type SubscriptionResolveFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;

export interface SubscriptionSubscriberObject<TResult, TKey extends string, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<{ [key in TKey]: TResult }, TParent, TContext, TArgs>;
  resolve?: SubscriptionResolveFn<TResult, { [key in TKey]: TResult }, TContext, TArgs>;
}

export interface SubscriptionResolverObject<TResult, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<any, TParent, TContext, TArgs>;
  resolve: SubscriptionResolveFn<TResult, any, TContext, TArgs>;
}

export type SubscriptionObject<TResult, TKey extends string, TParent, TContext, TArgs> =
  | SubscriptionSubscriberObject<TResult, TKey, TParent, TContext, TArgs>
  | SubscriptionResolverObject<TResult, TParent, TContext, TArgs>;

export type SubscriptionResolver<TResult, TKey extends string, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> =
  | ((...args: any[]) => SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>)
  | SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>;

export type TypeResolveFn<TTypes, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (
  parent: TParent,
  context: TContext,
  info: GraphQLResolveInfo
) => Maybe<TTypes> | Promise<Maybe<TTypes>>;

export type IsTypeOfResolverFn<T = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (obj: T, context: TContext, info: GraphQLResolveInfo) => boolean | Promise<boolean>;

export type NextResolverFn<T> = () => Promise<T>;

export type DirectiveResolverFn<TResult = Record<PropertyKey, never>, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = (
  next: NextResolverFn<TResult>,
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;

/** Mapping of federation types */
export type FederationTypes = {
  User: User;
};

/** Mapping of federation reference types */
export type FederationReferenceTypes = {
  User:
    ( { __typename: 'User' }
    & GraphQLRecursivePick<FederationTypes['User'], {"sub":true}> );
};



/** Mapping between all available schema types and the resolvers types */
export type ResolversTypes = {
  AdminCreateAppClientInput: AdminCreateAppClientInput;
  Int: ResolverTypeWrapper<Scalars['Int']['output']>;
  String: ResolverTypeWrapper<Scalars['String']['output']>;
  Boolean: ResolverTypeWrapper<Scalars['Boolean']['output']>;
  AdminCreateUserInput: AdminCreateUserInput;
  AdminUpdateAppClientInput: AdminUpdateAppClientInput;
  ID: ResolverTypeWrapper<Scalars['ID']['output']>;
  AppClient: ResolverTypeWrapper<AppClientModel>;
  AssociateSoftwareTokenResult: ResolverTypeWrapper<AssociateSoftwareTokenModel>;
  Attribute: ResolverTypeWrapper<Attribute>;
  AttributeInput: AttributeInput;
  AuthFlow: AuthFlow;
  AuthFlowResult: ResolverTypeWrapper<AuthFlowResult>;
  AuthenticationResult: ResolverTypeWrapper<AuthenticationResult>;
  ChallengeName: ChallengeName;
  ChangePasswordInput: ChangePasswordInput;
  ClientCredentialsInput: ClientCredentialsInput;
  ClientCredentialsResult: ResolverTypeWrapper<ClientCredentialsResult>;
  CodeDeliveryDetails: ResolverTypeWrapper<CodeDeliveryDetails>;
  ConfirmForgotPasswordInput: ConfirmForgotPasswordInput;
  ConfirmSignUpInput: ConfirmSignUpInput;
  CreatedAppClient: ResolverTypeWrapper<Omit<CreatedAppClient, 'client'> & { client: ResolversTypes['AppClient'] }>;
  ForgotPasswordInput: ForgotPasswordInput;
  InitiateAuthInput: InitiateAuthInput;
  MessageAction: MessageAction;
  MfaFactor: MfaFactor;
  MfaFactorPreference: MfaFactorPreference;
  MfaPreferenceInput: MfaPreferenceInput;
  MfaSettings: ResolverTypeWrapper<MfaSettings>;
  Mutation: ResolverTypeWrapper<Record<PropertyKey, never>>;
  OAuthFlow: OAuthFlow;
  Query: ResolverTypeWrapper<Record<PropertyKey, never>>;
  RefreshInput: RefreshInput;
  ResendConfirmationCodeInput: ResendConfirmationCodeInput;
  ResourceServer: ResolverTypeWrapper<ResourceServer>;
  ResourceServerInput: ResourceServerInput;
  RespondToAuthChallengeInput: RespondToAuthChallengeInput;
  RevokeInput: RevokeInput;
  SignInInput: SignInInput;
  SignUpInput: SignUpInput;
  SignUpResult: ResolverTypeWrapper<SignUpResult>;
  User: ResolverTypeWrapper<UserModel>;
  UserStatus: UserStatus;
  VerifySoftwareTokenInput: VerifySoftwareTokenInput;
  VerifySoftwareTokenResult: ResolverTypeWrapper<VerifySoftwareTokenResult>;
};

/** Mapping between all available schema types and the resolvers parents */
export type ResolversParentTypes = {
  AdminCreateAppClientInput: AdminCreateAppClientInput;
  Int: Scalars['Int']['output'];
  String: Scalars['String']['output'];
  Boolean: Scalars['Boolean']['output'];
  AdminCreateUserInput: AdminCreateUserInput;
  AdminUpdateAppClientInput: AdminUpdateAppClientInput;
  ID: Scalars['ID']['output'];
  AppClient: AppClientModel;
  AssociateSoftwareTokenResult: AssociateSoftwareTokenModel;
  Attribute: Attribute;
  AttributeInput: AttributeInput;
  AuthFlowResult: AuthFlowResult;
  AuthenticationResult: AuthenticationResult;
  ChangePasswordInput: ChangePasswordInput;
  ClientCredentialsInput: ClientCredentialsInput;
  ClientCredentialsResult: ClientCredentialsResult;
  CodeDeliveryDetails: CodeDeliveryDetails;
  ConfirmForgotPasswordInput: ConfirmForgotPasswordInput;
  ConfirmSignUpInput: ConfirmSignUpInput;
  CreatedAppClient: Omit<CreatedAppClient, 'client'> & { client: ResolversParentTypes['AppClient'] };
  ForgotPasswordInput: ForgotPasswordInput;
  InitiateAuthInput: InitiateAuthInput;
  MfaFactorPreference: MfaFactorPreference;
  MfaPreferenceInput: MfaPreferenceInput;
  MfaSettings: MfaSettings;
  Mutation: Record<PropertyKey, never>;
  Query: Record<PropertyKey, never>;
  RefreshInput: RefreshInput;
  ResendConfirmationCodeInput: ResendConfirmationCodeInput;
  ResourceServer: ResourceServer;
  ResourceServerInput: ResourceServerInput;
  RespondToAuthChallengeInput: RespondToAuthChallengeInput;
  RevokeInput: RevokeInput;
  SignInInput: SignInInput;
  SignUpInput: SignUpInput;
  SignUpResult: SignUpResult;
  User: UserModel;
  VerifySoftwareTokenInput: VerifySoftwareTokenInput;
  VerifySoftwareTokenResult: VerifySoftwareTokenResult;
};

export type AppClientResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['AppClient'] = ResolversParentTypes['AppClient']> = {
  accessTokenValiditySeconds?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  allowedOAuthFlows?: Resolver<Array<ResolversTypes['OAuthFlow']>, ParentType, ContextType>;
  allowedOAuthScopes?: Resolver<Array<ResolversTypes['String']>, ParentType, ContextType>;
  authSessionValidityMinutes?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  callbackUrls?: Resolver<Array<ResolversTypes['String']>, ParentType, ContextType>;
  clientId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  confidential?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  createdAt?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  enabled?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  idTokenValiditySeconds?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  logoutUrls?: Resolver<Array<ResolversTypes['String']>, ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  refreshTokenValiditySeconds?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  rotateRefreshTokens?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
};

export type AssociateSoftwareTokenResultResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['AssociateSoftwareTokenResult'] = ResolversParentTypes['AssociateSoftwareTokenResult']> = {
  otpauthUri?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  qrCodeSvg?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  secretCode?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  session?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
};

export type AttributeResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['Attribute'] = ResolversParentTypes['Attribute']> = {
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  value?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type AuthFlowResultResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['AuthFlowResult'] = ResolversParentTypes['AuthFlowResult']> = {
  authenticationResult?: Resolver<Maybe<ResolversTypes['AuthenticationResult']>, ParentType, ContextType>;
  availableChallenges?: Resolver<Maybe<Array<ResolversTypes['ChallengeName']>>, ParentType, ContextType>;
  challengeName?: Resolver<Maybe<ResolversTypes['ChallengeName']>, ParentType, ContextType>;
  challengeParameters?: Resolver<Array<ResolversTypes['Attribute']>, ParentType, ContextType>;
  session?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
};

export type AuthenticationResultResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['AuthenticationResult'] = ResolversParentTypes['AuthenticationResult']> = {
  accessToken?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  expiresIn?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  idToken?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  refreshToken?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  tokenType?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type ClientCredentialsResultResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['ClientCredentialsResult'] = ResolversParentTypes['ClientCredentialsResult']> = {
  accessToken?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  expiresIn?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  scope?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  tokenType?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type CodeDeliveryDetailsResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['CodeDeliveryDetails'] = ResolversParentTypes['CodeDeliveryDetails']> = {
  attributeName?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  deliveryMedium?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  destination?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
};

export type CreatedAppClientResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['CreatedAppClient'] = ResolversParentTypes['CreatedAppClient']> = {
  client?: Resolver<ResolversTypes['AppClient'], ParentType, ContextType>;
  clientSecret?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
};

export type MfaSettingsResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['MfaSettings'] = ResolversParentTypes['MfaSettings']> = {
  enabled?: Resolver<Array<ResolversTypes['MfaFactor']>, ParentType, ContextType>;
  preferred?: Resolver<Maybe<ResolversTypes['MfaFactor']>, ParentType, ContextType>;
};

export type MutationResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['Mutation'] = ResolversParentTypes['Mutation']> = {
  adminAddUserToGroup?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationAdminAddUserToGroupArgs, 'group' | 'username'>>;
  adminCreateAppClient?: Resolver<ResolversTypes['CreatedAppClient'], ParentType, ContextType, RequireFields<MutationAdminCreateAppClientArgs, 'input'>>;
  adminCreateResourceServer?: Resolver<ResolversTypes['ResourceServer'], ParentType, ContextType, RequireFields<MutationAdminCreateResourceServerArgs, 'input'>>;
  adminCreateUser?: Resolver<ResolversTypes['User'], ParentType, ContextType, RequireFields<MutationAdminCreateUserArgs, 'input'>>;
  adminDeleteResourceServer?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationAdminDeleteResourceServerArgs, 'id'>>;
  adminDeleteUser?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationAdminDeleteUserArgs, 'username'>>;
  adminDisableUser?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationAdminDisableUserArgs, 'username'>>;
  adminEnableUser?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationAdminEnableUserArgs, 'username'>>;
  adminRemoveUserFromGroup?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationAdminRemoveUserFromGroupArgs, 'group' | 'username'>>;
  adminResetUserMfa?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationAdminResetUserMfaArgs, 'username'>>;
  adminResetUserPassword?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationAdminResetUserPasswordArgs, 'username'>>;
  adminSetUserMfaPreference?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationAdminSetUserMfaPreferenceArgs, 'input' | 'username'>>;
  adminSetUserPassword?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationAdminSetUserPasswordArgs, 'password' | 'permanent' | 'username'>>;
  adminUpdateAppClient?: Resolver<ResolversTypes['AppClient'], ParentType, ContextType, RequireFields<MutationAdminUpdateAppClientArgs, 'input'>>;
  adminUpdateResourceServer?: Resolver<ResolversTypes['ResourceServer'], ParentType, ContextType, RequireFields<MutationAdminUpdateResourceServerArgs, 'input'>>;
  adminUserGlobalSignOut?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationAdminUserGlobalSignOutArgs, 'username'>>;
  associateSoftwareToken?: Resolver<ResolversTypes['AssociateSoftwareTokenResult'], ParentType, ContextType, Partial<MutationAssociateSoftwareTokenArgs>>;
  changePassword?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationChangePasswordArgs, 'input'>>;
  clientCredentials?: Resolver<ResolversTypes['ClientCredentialsResult'], ParentType, ContextType, RequireFields<MutationClientCredentialsArgs, 'input'>>;
  confirmForgotPassword?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationConfirmForgotPasswordArgs, 'input'>>;
  confirmSignUp?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationConfirmSignUpArgs, 'input'>>;
  forgotPassword?: Resolver<ResolversTypes['CodeDeliveryDetails'], ParentType, ContextType, RequireFields<MutationForgotPasswordArgs, 'input'>>;
  getUserAttributeVerificationCode?: Resolver<ResolversTypes['CodeDeliveryDetails'], ParentType, ContextType, RequireFields<MutationGetUserAttributeVerificationCodeArgs, 'attributeName'>>;
  globalSignOut?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  initiateAuth?: Resolver<ResolversTypes['AuthFlowResult'], ParentType, ContextType, RequireFields<MutationInitiateAuthArgs, 'input'>>;
  refresh?: Resolver<ResolversTypes['AuthenticationResult'], ParentType, ContextType, RequireFields<MutationRefreshArgs, 'input'>>;
  resendConfirmationCode?: Resolver<ResolversTypes['CodeDeliveryDetails'], ParentType, ContextType, RequireFields<MutationResendConfirmationCodeArgs, 'input'>>;
  respondToAuthChallenge?: Resolver<ResolversTypes['AuthFlowResult'], ParentType, ContextType, RequireFields<MutationRespondToAuthChallengeArgs, 'input'>>;
  revoke?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationRevokeArgs, 'input'>>;
  setUserMfaPreference?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationSetUserMfaPreferenceArgs, 'input'>>;
  signIn?: Resolver<ResolversTypes['AuthenticationResult'], ParentType, ContextType, RequireFields<MutationSignInArgs, 'input'>>;
  signUp?: Resolver<ResolversTypes['SignUpResult'], ParentType, ContextType, RequireFields<MutationSignUpArgs, 'input'>>;
  updateUserAttributes?: Resolver<Array<ResolversTypes['CodeDeliveryDetails']>, ParentType, ContextType, RequireFields<MutationUpdateUserAttributesArgs, 'attributes'>>;
  verifySoftwareToken?: Resolver<ResolversTypes['VerifySoftwareTokenResult'], ParentType, ContextType, RequireFields<MutationVerifySoftwareTokenArgs, 'input'>>;
  verifyUserAttribute?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationVerifyUserAttributeArgs, 'attributeName' | 'code'>>;
};

export type QueryResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['Query'] = ResolversParentTypes['Query']> = {
  adminAppClient?: Resolver<Maybe<ResolversTypes['AppClient']>, ParentType, ContextType, RequireFields<QueryAdminAppClientArgs, 'clientId'>>;
  adminAppClients?: Resolver<Array<ResolversTypes['AppClient']>, ParentType, ContextType>;
  adminGetUser?: Resolver<Maybe<ResolversTypes['User']>, ParentType, ContextType, RequireFields<QueryAdminGetUserArgs, 'username'>>;
  adminResourceServers?: Resolver<Array<ResolversTypes['ResourceServer']>, ParentType, ContextType>;
  me?: Resolver<Maybe<ResolversTypes['User']>, ParentType, ContextType>;
};

export type ResourceServerResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['ResourceServer'] = ResolversParentTypes['ResourceServer']> = {
  id?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  scopes?: Resolver<Array<ResolversTypes['String']>, ParentType, ContextType>;
};

export type SignUpResultResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['SignUpResult'] = ResolversParentTypes['SignUpResult']> = {
  codeDeliveryDestination?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  userConfirmed?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  userSub?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
};

export type UserResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['User'] = ResolversParentTypes['User'], FederationReferenceType extends FederationReferenceTypes['User'] = FederationReferenceTypes['User']> = {
  __resolveReference?: ReferenceResolver<Maybe<ResolversTypes['User']> | FederationReferenceType, FederationReferenceType, ContextType>;
  attributes?: Resolver<Array<ResolversTypes['Attribute']>, ParentType, ContextType>;
  authTime?: Resolver<Maybe<ResolversTypes['Int']>, ParentType, ContextType>;
  confirmed?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  email?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  emailVerified?: Resolver<Maybe<ResolversTypes['Boolean']>, ParentType, ContextType>;
  enabled?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  familyName?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  givenName?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  groups?: Resolver<Array<ResolversTypes['String']>, ParentType, ContextType>;
  mfa?: Resolver<ResolversTypes['MfaSettings'], ParentType, ContextType>;
  name?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  phoneNumber?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  phoneNumberVerified?: Resolver<Maybe<ResolversTypes['Boolean']>, ParentType, ContextType>;
  status?: Resolver<ResolversTypes['UserStatus'], ParentType, ContextType>;
  sub?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  username?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type VerifySoftwareTokenResultResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['VerifySoftwareTokenResult'] = ResolversParentTypes['VerifySoftwareTokenResult']> = {
  session?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  status?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type Resolvers<ContextType = GatewayContext> = {
  AppClient?: AppClientResolvers<ContextType>;
  AssociateSoftwareTokenResult?: AssociateSoftwareTokenResultResolvers<ContextType>;
  Attribute?: AttributeResolvers<ContextType>;
  AuthFlowResult?: AuthFlowResultResolvers<ContextType>;
  AuthenticationResult?: AuthenticationResultResolvers<ContextType>;
  ClientCredentialsResult?: ClientCredentialsResultResolvers<ContextType>;
  CodeDeliveryDetails?: CodeDeliveryDetailsResolvers<ContextType>;
  CreatedAppClient?: CreatedAppClientResolvers<ContextType>;
  MfaSettings?: MfaSettingsResolvers<ContextType>;
  Mutation?: MutationResolvers<ContextType>;
  Query?: QueryResolvers<ContextType>;
  ResourceServer?: ResourceServerResolvers<ContextType>;
  SignUpResult?: SignUpResultResolvers<ContextType>;
  User?: UserResolvers<ContextType>;
  VerifySoftwareTokenResult?: VerifySoftwareTokenResultResolvers<ContextType>;
};

