/**
 * Groups as Cognito's API sees them (CreateGroup, ListGroups, AdminListGroupsForUser): a name,
 * with a description and a precedence when it was created. poolgate's groups were memberships
 * only, and membership still needs no created group (AdminAddUserToGroup takes any valid
 * name, where Cognito answers ResourceNotFoundException): a name some user joined is a group
 * too, listed without details. Precedence does not change tokens (poolgate has no IAM roles,
 * so no cognito:preferred_role); it is kept and shown.
 */
import { PoolgateError } from "../errors";
import { StoreConflictError, type GroupRecord, type GroupStore } from "../store/store";
import { validateGroupName } from "./users";

/** A group as a front door sees it; the details are null for a name that was never created. */
export interface GroupView {
  readonly name: string;
  readonly description: string | null;
  readonly precedence: number | null;
  readonly createdAtMs: number | null;
  readonly updatedAtMs: number | null;
}

export interface NewGroupInput {
  name: string;
  description?: string | null;
  precedence?: number | null;
}

/** Cognito's limits: a description of at most 2048 characters, a precedence of 0 … 2^31−1. */
const MAX_DESCRIPTION_LENGTH = 2048;
const MAX_PRECEDENCE = 2_147_483_647;

function view(name: string, record: GroupRecord | undefined): GroupView {
  return {
    name,
    description: record?.description ?? null,
    precedence: record?.precedence ?? null,
    createdAtMs: record?.createdAtMs ?? null,
    updatedAtMs: record?.updatedAtMs ?? null,
  };
}

export class GroupService {
  constructor(
    private readonly store: GroupStore,
    private readonly now: () => number,
  ) {}

  /** CreateGroup; GROUP_EXISTS when a group of that name was created before. */
  async create(input: NewGroupInput): Promise<GroupView> {
    validateGroupName(input.name);
    const description = input.description ?? null;
    if (
      description !== null &&
      (description.length > MAX_DESCRIPTION_LENGTH ||
        /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(description))
    )
      throw new PoolgateError(
        "BAD_USER_INPUT",
        `The description must be at most ${MAX_DESCRIPTION_LENGTH} characters, without control characters`,
      );
    const precedence = input.precedence ?? null;
    if (
      precedence !== null &&
      !(Number.isInteger(precedence) && precedence >= 0 && precedence <= MAX_PRECEDENCE)
    )
      throw new PoolgateError(
        "BAD_USER_INPUT",
        `Precedence must be a whole number from 0 to ${MAX_PRECEDENCE}`,
      );
    const nowMs = this.now();
    const record: GroupRecord = {
      name: input.name,
      description,
      precedence,
      createdAtMs: nowMs,
      updatedAtMs: nowMs,
    };
    try {
      await this.store.createGroup(record);
    } catch (err) {
      if (err instanceof StoreConflictError)
        throw new PoolgateError("GROUP_EXISTS", "A group with the name already exists.");
      throw err;
    }
    return view(record.name, record);
  }

  /** A page of groups in code-point order after `afterName`: created ones and joined names. */
  async list(afterName: string | undefined, limit: number): Promise<GroupView[]> {
    return (await this.store.listGroups(afterName, limit)).map((g) => view(g.name, g.record));
  }

  /** The named groups with their details where they were created (names as given, in order). */
  async describe(names: readonly string[]): Promise<GroupView[]> {
    const records = await this.store.getGroups(names);
    return names.map((name, i) => view(name, records[i]));
  }
}
