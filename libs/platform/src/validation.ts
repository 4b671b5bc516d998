import { CommonErrorCode, displayTextFields, displayTextThroughout, type DisplayTextField } from '@trove/contracts';
import { ValidationPipe, type ArgumentMetadata } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import {
  getMetadataStorage,
  validate,
  validateSync,
  ValidationTypes,
  ValidationError,
  ValidatorConstraint,
  type ValidationArguments,
  type ValidatorConstraintInterface,
  type ValidatorOptions,
} from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';
import { ServiceException } from './problem';

@ValidatorConstraint({ name: 'isNotList' })
class NotAList implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return !Array.isArray(value);
  }

  defaultMessage(args: ValidationArguments): string {
    return `${args.property} must be an object, not a list`;
  }
}

/**
 * `@ValidateNested()` validates each entry of a list as the nested class, so a list where one
 * object belongs passed (an empty one trivially): billing stored a top-up of `amount: []` as a
 * null amount (a 500), and the catalog an offer priced `[]` at 0. Every list in Trove's classes
 * says `{ each: true }`, so each nested rule without it gets a companion that refuses a list.
 */
function refuseListsForObjects(rules: ValidationMetadata[]): ValidationMetadata[] {
  const companions = rules
    .filter((rule) => rule.type === ValidationTypes.NESTED_VALIDATION && !rule.each)
    .map((rule) =>
      Object.assign(Object.create(Object.getPrototypeOf(rule) as object) as ValidationMetadata, rule, {
        type: ValidationTypes.CUSTOM_VALIDATION,
        name: undefined,
        constraintCls: NotAList,
        constraints: [],
        message: undefined,
        each: false,
      }),
    );
  return companions.length > 0 ? rules.concat(companions) : rules;
}

/**
 * class-validator finds a class's rules anew for every object it validates, by going through the
 * rules of every class it knows (an `instanceof` each, for inherited rules): with the hundreds of
 * contract classes an app loads, that was the largest part of validating a small message. The
 * rules are all known once the classes are loaded, so the answer is kept per class and options,
 * and forgotten whenever a rule is added.
 */
function keepRuleLookups(): void {
  const storage = getMetadataStorage() as ReturnType<typeof getMetadataStorage> & { troveKeepsLookups?: true };
  if (storage.troveKeepsLookups) return;
  storage.troveKeepsLookups = true;
  let kept = new Map<unknown, Map<string, ValidationMetadata[]>>();
  const lookUp = storage.getTargetValidationMetadatas.bind(storage);
  const addRule = storage.addValidationMetadata.bind(storage);
  storage.addValidationMetadata = (metadata: ValidationMetadata) => {
    kept = new Map();
    addRule(metadata);
  };
  storage.getTargetValidationMetadatas = (target, schema, always, strictGroups, groups) => {
    const key = `${schema}\u0000${always}\u0000${strictGroups}\u0000${groups?.join('\u0000') ?? ''}`;
    let byOptions = kept.get(target);
    if (!byOptions) kept.set(target, (byOptions = new Map()));
    let rules = byOptions.get(key);
    if (!rules) byOptions.set(key, (rules = refuseListsForObjects(lookUp(target, schema, always, strictGroups, groups))));
    return rules;
  };
}
keepRuleLookups();

/** The same rules at both edges: unknown fields are refused, not silently dropped. */
export const VALIDATOR_OPTIONS: ValidatorOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
};

/** Rules on what kind of value a field holds: when one fails, the others (ranges, lengths, formats) only confuse. */
const KIND_RULES = ['isInt', 'isNumber', 'isString', 'isBoolean', 'isArray', 'isObject', 'isNotList'];

/**
 * What is wrong with one field, as a client can act on it: a missing required field is just that
 * (not "must contain no more than 20 elements" and five more), and a value of the wrong kind says
 * so alone ("2000000" for an amount is a string, not an amount above the maximum).
 */
function problemsOf(error: ValidationError): string[] {
  const constraints = error.constraints ?? {};
  // class-validator always sets `value` (undefined when the field was left out).
  const sent = Object.prototype.hasOwnProperty.call(error, 'value');
  if (sent && (error.value === undefined || error.value === null) && !('whitelistValidation' in constraints)) {
    return [`${error.property} is required${error.value === null ? ' (null was sent)' : ''}`];
  }
  // class-validator's own words for `"amount": 100` ("nested property amount must be either
  // object or array") offer a list, which the list rule then refuses; a field declared a list
  // (`"items": "x"`) is told it wants a list.
  if ('nestedValidation' in constraints && typeof error.value !== 'object') {
    return [`${error.property} must be ${'isArray' in constraints ? 'a list' : 'an object'}, not a ${typeof error.value}`];
  }
  // `"reason": "   "`, trimmed to nothing, was told it "must be longer than or equal to 1 characters".
  if (typeof error.value === 'string' && error.value.trim() === '' && ('isLength' in constraints || 'minLength' in constraints)) {
    return [`${error.property} must not be empty or only spaces`];
  }
  const kind = KIND_RULES.filter((rule) => rule in constraints).map((rule) => constraints[rule]);
  return kind.length > 0 ? kind : Object.values(constraints);
}

export function fieldErrors(errors: ValidationError[], parent = ''): { field: string; problems: string[] }[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, problems: problemsOf(error) }] : [];
    return own.concat(fieldErrors(error.children ?? [], field));
  });
}

/**
 * How many broken fields an answer names. A request of 2,000 unknown query parameters, or a
 * list of 1,000 bad entries, would otherwise be answered with each one twice (in `detail` and
 * in `errors`): a 14 KB request answered 200 KB. The rest are counted.
 */
export const MAX_REPORTED_FIELDS = 20;

/** The 400 for one field a rule outside the contract refused: `field: problem`, naming it. */
export function fieldError(field: string, problem: string): ServiceException {
  return new ServiceException(CommonErrorCode.VALIDATION_FAILED, `${field}: ${problem}`, [{ field, problems: [problem] }]);
}

/**
 * The 400 for these errors and, in the same answer, `more` fields found by other rules of the
 * same pass (the display-text rule of a listing): a field both name lists the problems of both.
 */
export function validationFailed(errors: ValidationError[], more: DisplayTextField[] = []): ServiceException {
  const all = fieldErrors(errors);
  for (const extra of more) {
    const same = all.find((f) => f.field === extra.field);
    if (same) same.problems = [...new Set([...same.problems, ...extra.problems])];
    else all.push(extra);
  }
  const fields = all.slice(0, MAX_REPORTED_FIELDS);
  const left = all.length - fields.length;
  const summary = fields.map((f) => `${f.field}: ${f.problems.join(', ')}`).join('; ') + (left > 0 ? `; and ${left} more fields` : '');
  return new ServiceException(CommonErrorCode.VALIDATION_FAILED, summary || 'The input is invalid.', fields);
}

/**
 * A query parameter sent twice arrives as a list (`?language=zh-CN&language=en`). Where the
 * class takes one value, its rules would answer about the list as if it were the value (`must
 * be a string`, `must hold BCP 47 language tags ...; not []`): the caller is told plainly that it
 * is the repetition, field by field, together with whatever else is wrong with the query, in one
 * answer. No query class of Trove takes a list (a rule `each: true` would say so).
 */
function repeatedQueryParameters(value: unknown, metatype: unknown): Set<string> {
  if (typeof metatype !== 'function' || value === null || typeof value !== 'object') return new Set();
  const repeated = Object.entries(value as Record<string, unknown>).filter(([, v]) => Array.isArray(v));
  if (repeated.length === 0) return new Set();
  const rules = getMetadataStorage().getTargetValidationMetadatas(metatype, '', true, false);
  return new Set(
    repeated
      .map(([property]) => property)
      .filter((property) => {
        const own = rules.filter((rule) => rule.propertyName === property);
        // Unknown parameters are the whitelist's to refuse; lists are fine where a rule takes each.
        return own.length > 0 && !own.some((rule) => rule.each || rule.name === 'isArray');
      }),
  );
}

/**
 * The parameters of a query that its class has no rule for: the whitelist would refuse each as
 * `property foo should not exist`, where a route that reads no query at all says `this route
 * takes no such query parameter` (the gateway's NoBodyInterceptor). Both now say the latter.
 */
function unreadQueryParameters(value: unknown, metatype: unknown): string[] {
  if (typeof metatype !== 'function' || value === null || typeof value !== 'object') return [];
  const known = new Set(getMetadataStorage().getTargetValidationMetadatas(metatype, '', true, false).map((rule) => rule.propertyName));
  return Object.keys(value).filter((property) => !known.has(property));
}

const notRead = (property: string): ValidationError =>
  Object.assign(new ValidationError(), { property, value: undefined, constraints: { whitelistValidation: 'this route takes no such query parameter' } });

const givenOnce = (property: string, value: unknown): ValidationError =>
  Object.assign(new ValidationError(), { property, value, constraints: { givenOnce: `${property} must be given once` } });

/** A scalar read as `@Query('name')`, which takes one value. */
const SCALARS: unknown[] = [String, Number, Boolean];

/**
 * Names an object has from Object.prototype (`toString`, `constructor`, `valueOf`, `__proto__`,
 * ...). Sent as a query parameter or a body field, class-transformer reads the class's inherited
 * function in its place and the whitelist never sees it: `?toString=1` was dropped unseen where
 * `?zzz=1` is refused. No class of Trove declares one.
 */
function inheritedNames(value: unknown, path = ''): string[] {
  if (value === null || typeof value !== 'object') return [];
  if (Array.isArray(value)) return value.flatMap((item, i) => inheritedNames(item, `${path}${i}.`));
  return Object.entries(value as Record<string, unknown>).flatMap(([name, child]) =>
    name in Object.prototype ? [`${path}${name}`] : inheritedNames(child, `${path}${name}.`),
  );
}

/**
 * How deep a message or body may nest: the top-level object is level 1, each object or list
 * inside it one more. The deepest contract nests a handful of levels (a dataset's metadata, 4
 * levels, inside its request), and the gateway takes no body deeper than 32: this is far from any.
 * What it stops is the validators' recursion (class-transformer, class-validator and the walks
 * here), which ran out of stack on a message a few thousand levels deep: a RangeError, answered
 * INTERNAL and logged as a handler failure.
 */
export const MAX_NESTING_DEPTH = 64;

/** One object or list on the way down, with how it was reached (for the field's name). */
type Nesting = { node: object; depth: number; key: string; parent?: Nesting };

/**
 * The path (`items.0.amount`, cut to 120 characters) of the first object or list of `value`
 * nested deeper than `max` levels, or undefined. Iterative, so that it cannot itself run out of
 * stack, and never below `max` levels, so it costs one look at each value at most.
 */
export function tooDeeplyNested(value: unknown, max = MAX_NESTING_DEPTH): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const pending: Nesting[] = [{ node: value, depth: 1, key: '' }];
  while (pending.length > 0) {
    const at = pending.pop()!;
    const keys = Object.keys(at.node);
    // Last key first onto the stack, so the first too deep in the document's order is the one named.
    for (let i = keys.length - 1; i >= 0; i--) {
      const child = (at.node as Record<string, unknown>)[keys[i]];
      if (child === null || typeof child !== 'object') continue;
      const next: Nesting = { node: child, depth: at.depth + 1, key: keys[i], parent: at };
      if (next.depth > max) {
        const path: string[] = [];
        for (let step: Nesting | undefined = next; step?.parent; step = step.parent) path.push(step.key);
        const full = path.reverse().join('.');
        return full.length > 120 ? `${full.slice(0, 120)}…` : full;
      }
      pending.push(next);
    }
  }
  return undefined;
}

/** Refuses a value nested deeper than MAX_NESTING_DEPTH, as VALIDATION_FAILED naming where. */
function refuseDeepNesting(value: unknown): void {
  const path = tooDeeplyNested(value);
  if (path === undefined) return;
  const problem = `${path} is nested deeper than ${MAX_NESTING_DEPTH} levels; nothing Trove takes nests that deep`;
  // A value that was sent (not undefined or null, which read as a field left out).
  throw validationFailed([Object.assign(new ValidationError(), { property: path, value: {}, constraints: { maxDepth: problem } })]);
}

/** An unknown field at `path` (`amount.toString`), told as the whitelist tells one. */
const notAllowed = (path: string, value: unknown): ValidationError =>
  Object.assign(new ValidationError(), { property: path, value, constraints: { whitelistValidation: `property ${path.split('.').pop()} should not exist` } });

class HttpValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // Before anything walks it (the gateway's body parser already refuses more than 32 levels).
    if (metadata.type === 'query' || metadata.type === 'body') refuseDeepNesting(value);
    if ((metadata.type === 'query' || metadata.type === 'body') && typeof metadata.metatype === 'function' && !SCALARS.includes(metadata.metatype)) {
      const inherited = inheritedNames(value);
      if (inherited.length > 0) throw validationFailed(inherited.map((name) => (metadata.type === 'query' ? notRead(name) : notAllowed(name, undefined))));
    }
    if (metadata.type === 'query') {
      if (metadata.data && Array.isArray(value) && SCALARS.includes(metadata.metatype)) throw validationFailed([givenOnce(metadata.data, value)]);
      const repeated = repeatedQueryParameters(value, metadata.metatype);
      // Only a whole query read into a class of rules (not `@Query('name')`, not a plain object).
      const unread = metadata.data === undefined && this.toValidate(metadata) ? unreadQueryParameters(value, metadata.metatype) : [];
      if (repeated.size > 0 || unread.length > 0) {
        // The rest of the query is checked as usual, without the repeated and unread ones.
        const rest = Object.fromEntries(Object.entries(value as Record<string, unknown>).filter(([property]) => !repeated.has(property) && !unread.includes(property)));
        const others = await validate(plainToInstance(metadata.metatype as new () => object, rest), VALIDATOR_OPTIONS);
        const errors = [...repeated].map((property) => givenOnce(property, (value as Record<string, unknown>)[property]));
        throw validationFailed(errors.concat(unread.map(notRead), others.filter((error) => !repeated.has(error.property))));
      }
    }
    const prose = metadata.type === 'body' ? displayTextThroughout(metadata.metatype) : undefined;
    if (prose) {
      // The text as it will be kept: a title's or a tag's white space around it is trimmed first.
      const instance = plainToInstance(metadata.metatype as new () => object, value);
      const text = displayTextFields(instance, prose);
      if (text.length > 0) throw validationFailed(await validate(instance, VALIDATOR_OPTIONS), text);
    }
    return super.transform(value, metadata);
  }
}

/** A `@Transform` writing a string in lower case (a UUID in either case is one id); anything else is left for the validators. */
export const lowerCase = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.toLowerCase() : value);

/** The gateway's pipe for HTTP bodies, params and queries. */
export function httpValidationPipe(): ValidationPipe {
  return new HttpValidationPipe({
    ...VALIDATOR_OPTIONS,
    transform: true,
    exceptionFactory: (errors) => validationFailed(errors),
  });
}

/** Validates a message received over NATS against its contract class. */
export function validateMessage<T extends object>(cls: new () => T, payload: unknown): T {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    throw new ServiceException(CommonErrorCode.VALIDATION_FAILED, 'The message payload must be a JSON object.');
  }
  // Before anything walks it: every step below recurses, and a RangeError would be a 500.
  refuseDeepNesting(payload);
  const inherited = inheritedNames(payload);
  if (inherited.length > 0) throw validationFailed(inherited.map((name) => notAllowed(name, undefined)));
  const instance = plainToInstance(cls, payload);
  const errors = validateSync(instance, VALIDATOR_OPTIONS);
  const prose = displayTextThroughout(cls);
  const text = prose ? displayTextFields(instance, prose) : [];
  if (errors.length > 0 || text.length > 0) throw validationFailed(errors, text);
  return instance;
}
