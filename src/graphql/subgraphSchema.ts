/**
 * poolgate's schema as an Apollo Federation 2 subgraph: `schema.graphql` links the federation
 * spec, `@apollo/subgraph` adds `_service` and `_entities`, and `_entities` refuses malformed
 * representations as the client's error rather than an internal one.
 */
import { buildSubgraphSchema } from "@apollo/subgraph";
import { isObjectType, isUnionType, parse, type DocumentNode, type GraphQLSchema } from "graphql";
import { PoolgateError } from "../errors";

type SubgraphModule = Exclude<Parameters<typeof buildSubgraphSchema>[0], DocumentNode | unknown[]>;
type SubgraphResolvers = NonNullable<SubgraphModule["resolvers"]>;

/**
 * Builds the subgraph schema (array form: TOOLCHAIN.md, @apollo/subgraph 2.14) and guards
 * `_entities`: every representation must be an object naming an entity type of this schema.
 * `@apollo/subgraph` itself throws a plain Error for anything else, which would surface as
 * INTERNAL_SERVER_ERROR for what is bad input (DESIGN §4: never a 500 for bad input).
 */
export function subgraphSchema(typeDefs: string, resolvers: object): GraphQLSchema {
  // The generated resolver types are stricter than @apollo/subgraph's resolver map (a typed
  // context, no index signature), and graphql-js checks the map against the schema anyway.
  const schema = buildSubgraphSchema([
    { typeDefs: parse(typeDefs), resolvers: resolvers as SubgraphResolvers },
  ]);
  const entities = schema.getQueryType()?.getFields()["_entities"];
  const entityUnion = schema.getType("_Entity");
  if (!entities || !isUnionType(entityUnion)) return schema;
  const entityTypes = new Set(
    entityUnion
      .getTypes()
      .filter((t) => isObjectType(t))
      .map((t) => t.name),
  );
  const resolve = entities.resolve;
  if (!resolve) return schema;
  entities.resolve = (source, args: { representations?: unknown }, context, info) => {
    const representations = args.representations;
    if (!Array.isArray(representations)) throw badRepresentation();
    for (const r of representations) {
      const typename =
        typeof r === "object" && r !== null && !Array.isArray(r)
          ? (r as { __typename?: unknown }).__typename
          : undefined;
      if (typeof typename !== "string" || !entityTypes.has(typename)) throw badRepresentation();
    }
    return resolve(source, args, context, info);
  };
  return schema;
}

function badRepresentation(): PoolgateError {
  return new PoolgateError(
    "BAD_USER_INPUT",
    "Each representation must be an object whose __typename is an entity type",
  );
}
