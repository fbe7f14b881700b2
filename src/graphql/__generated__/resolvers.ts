import type { GraphQLResolveInfo } from 'graphql';
import type { UserModel } from '../models';
import type { GatewayContext } from '../context';
export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
export type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
export type MakeOptional<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]?: Maybe<T[SubKey]> };
export type MakeMaybe<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]: Maybe<T[SubKey]> };
export type MakeEmpty<T extends { [key: string]: unknown }, K extends keyof T> = { [_ in K]?: never };
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
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

export type AdminCreateUserInput = {
  attributes?: InputMaybe<Array<AttributeInput>>;
  groups?: InputMaybe<Array<Scalars['String']['input']>>;
  password: Scalars['String']['input'];
  username: Scalars['String']['input'];
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

export type ConfirmSignUpInput = {
  clientId: Scalars['ID']['input'];
  clientSecret?: InputMaybe<Scalars['String']['input']>;
  code: Scalars['String']['input'];
  username: Scalars['String']['input'];
};

export type Mutation = {
  __typename?: 'Mutation';
  adminAddUserToGroup: Scalars['Boolean']['output'];
  adminCreateResourceServer: ResourceServer;
  adminCreateUser: User;
  adminDeleteResourceServer: Scalars['Boolean']['output'];
  adminDeleteUser: Scalars['Boolean']['output'];
  adminDisableUser: Scalars['Boolean']['output'];
  adminEnableUser: Scalars['Boolean']['output'];
  adminRemoveUserFromGroup: Scalars['Boolean']['output'];
  adminResetUserPassword: Scalars['Boolean']['output'];
  adminSetUserPassword: Scalars['Boolean']['output'];
  adminUpdateResourceServer: ResourceServer;
  adminUserGlobalSignOut: Scalars['Boolean']['output'];
  changePassword: Scalars['Boolean']['output'];
  /** The client-credentials grant for GraphQL-only callers: an access token for a confidential client. */
  clientCredentials: ClientCredentialsResult;
  confirmSignUp: Scalars['Boolean']['output'];
  /** Revokes every session of the caller. */
  globalSignOut: Scalars['Boolean']['output'];
  /** REFRESH_TOKEN_AUTH: new ID and access tokens of the same session (and a new refresh token when the client rotates them). */
  refresh: AuthenticationResult;
  /** RevokeToken: revokes the refresh token's session; its ID and access tokens stop working on the next request. */
  revoke: Scalars['Boolean']['output'];
  /** USER_PASSWORD_AUTH: a new session with ID, access and refresh tokens. */
  signIn: AuthenticationResult;
  /** Self-registration, when the pool allows it (POOLGATE_SELF_SIGN_UP). */
  signUp: SignUpResult;
};


export type MutationAdminAddUserToGroupArgs = {
  group: Scalars['String']['input'];
  username: Scalars['String']['input'];
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


export type MutationAdminResetUserPasswordArgs = {
  username: Scalars['String']['input'];
};


export type MutationAdminSetUserPasswordArgs = {
  password: Scalars['String']['input'];
  permanent?: Scalars['Boolean']['input'];
  username: Scalars['String']['input'];
};


export type MutationAdminUpdateResourceServerArgs = {
  input: ResourceServerInput;
};


export type MutationAdminUserGlobalSignOutArgs = {
  username: Scalars['String']['input'];
};


export type MutationChangePasswordArgs = {
  input: ChangePasswordInput;
};


export type MutationClientCredentialsArgs = {
  input: ClientCredentialsInput;
};


export type MutationConfirmSignUpArgs = {
  input: ConfirmSignUpInput;
};


export type MutationRefreshArgs = {
  input: RefreshInput;
};


export type MutationRevokeArgs = {
  input: RevokeInput;
};


export type MutationSignInArgs = {
  input: SignInInput;
};


export type MutationSignUpArgs = {
  input: SignUpInput;
};

export type Query = {
  __typename?: 'Query';
  /** An admin's view of any user. */
  adminGetUser?: Maybe<User>;
  /** Resource servers and the custom scopes they define. */
  adminResourceServers: Array<ResourceServer>;
  /** The caller's ID-token claims as the store has them now (not as the token froze them). */
  me?: Maybe<User>;
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
  name?: Maybe<Scalars['String']['output']>;
  phoneNumber?: Maybe<Scalars['String']['output']>;
  phoneNumberVerified?: Maybe<Scalars['Boolean']['output']>;
  sub: Scalars['ID']['output'];
  username: Scalars['String']['output'];
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
  AdminCreateUserInput: AdminCreateUserInput;
  String: ResolverTypeWrapper<Scalars['String']['output']>;
  Attribute: ResolverTypeWrapper<Attribute>;
  AttributeInput: AttributeInput;
  AuthenticationResult: ResolverTypeWrapper<AuthenticationResult>;
  Int: ResolverTypeWrapper<Scalars['Int']['output']>;
  ChangePasswordInput: ChangePasswordInput;
  ClientCredentialsInput: ClientCredentialsInput;
  ID: ResolverTypeWrapper<Scalars['ID']['output']>;
  ClientCredentialsResult: ResolverTypeWrapper<ClientCredentialsResult>;
  ConfirmSignUpInput: ConfirmSignUpInput;
  Mutation: ResolverTypeWrapper<Record<PropertyKey, never>>;
  Boolean: ResolverTypeWrapper<Scalars['Boolean']['output']>;
  Query: ResolverTypeWrapper<Record<PropertyKey, never>>;
  RefreshInput: RefreshInput;
  ResourceServer: ResolverTypeWrapper<ResourceServer>;
  ResourceServerInput: ResourceServerInput;
  RevokeInput: RevokeInput;
  SignInInput: SignInInput;
  SignUpInput: SignUpInput;
  SignUpResult: ResolverTypeWrapper<SignUpResult>;
  User: ResolverTypeWrapper<UserModel>;
};

/** Mapping between all available schema types and the resolvers parents */
export type ResolversParentTypes = {
  AdminCreateUserInput: AdminCreateUserInput;
  String: Scalars['String']['output'];
  Attribute: Attribute;
  AttributeInput: AttributeInput;
  AuthenticationResult: AuthenticationResult;
  Int: Scalars['Int']['output'];
  ChangePasswordInput: ChangePasswordInput;
  ClientCredentialsInput: ClientCredentialsInput;
  ID: Scalars['ID']['output'];
  ClientCredentialsResult: ClientCredentialsResult;
  ConfirmSignUpInput: ConfirmSignUpInput;
  Mutation: Record<PropertyKey, never>;
  Boolean: Scalars['Boolean']['output'];
  Query: Record<PropertyKey, never>;
  RefreshInput: RefreshInput;
  ResourceServer: ResourceServer;
  ResourceServerInput: ResourceServerInput;
  RevokeInput: RevokeInput;
  SignInInput: SignInInput;
  SignUpInput: SignUpInput;
  SignUpResult: SignUpResult;
  User: UserModel;
};

export type AttributeResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['Attribute'] = ResolversParentTypes['Attribute']> = {
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  value?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
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

export type MutationResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['Mutation'] = ResolversParentTypes['Mutation']> = {
  adminAddUserToGroup?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationAdminAddUserToGroupArgs, 'group' | 'username'>>;
  adminCreateResourceServer?: Resolver<ResolversTypes['ResourceServer'], ParentType, ContextType, RequireFields<MutationAdminCreateResourceServerArgs, 'input'>>;
  adminCreateUser?: Resolver<ResolversTypes['User'], ParentType, ContextType, RequireFields<MutationAdminCreateUserArgs, 'input'>>;
  adminDeleteResourceServer?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationAdminDeleteResourceServerArgs, 'id'>>;
  adminDeleteUser?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationAdminDeleteUserArgs, 'username'>>;
  adminDisableUser?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationAdminDisableUserArgs, 'username'>>;
  adminEnableUser?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationAdminEnableUserArgs, 'username'>>;
  adminRemoveUserFromGroup?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationAdminRemoveUserFromGroupArgs, 'group' | 'username'>>;
  adminResetUserPassword?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationAdminResetUserPasswordArgs, 'username'>>;
  adminSetUserPassword?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationAdminSetUserPasswordArgs, 'password' | 'permanent' | 'username'>>;
  adminUpdateResourceServer?: Resolver<ResolversTypes['ResourceServer'], ParentType, ContextType, RequireFields<MutationAdminUpdateResourceServerArgs, 'input'>>;
  adminUserGlobalSignOut?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationAdminUserGlobalSignOutArgs, 'username'>>;
  changePassword?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationChangePasswordArgs, 'input'>>;
  clientCredentials?: Resolver<ResolversTypes['ClientCredentialsResult'], ParentType, ContextType, RequireFields<MutationClientCredentialsArgs, 'input'>>;
  confirmSignUp?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationConfirmSignUpArgs, 'input'>>;
  globalSignOut?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  refresh?: Resolver<ResolversTypes['AuthenticationResult'], ParentType, ContextType, RequireFields<MutationRefreshArgs, 'input'>>;
  revoke?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationRevokeArgs, 'input'>>;
  signIn?: Resolver<ResolversTypes['AuthenticationResult'], ParentType, ContextType, RequireFields<MutationSignInArgs, 'input'>>;
  signUp?: Resolver<ResolversTypes['SignUpResult'], ParentType, ContextType, RequireFields<MutationSignUpArgs, 'input'>>;
};

export type QueryResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['Query'] = ResolversParentTypes['Query']> = {
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
  name?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  phoneNumber?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  phoneNumberVerified?: Resolver<Maybe<ResolversTypes['Boolean']>, ParentType, ContextType>;
  sub?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  username?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type Resolvers<ContextType = GatewayContext> = {
  Attribute?: AttributeResolvers<ContextType>;
  AuthenticationResult?: AuthenticationResultResolvers<ContextType>;
  ClientCredentialsResult?: ClientCredentialsResultResolvers<ContextType>;
  Mutation?: MutationResolvers<ContextType>;
  Query?: QueryResolvers<ContextType>;
  ResourceServer?: ResourceServerResolvers<ContextType>;
  SignUpResult?: SignUpResultResolvers<ContextType>;
  User?: UserResolvers<ContextType>;
};

