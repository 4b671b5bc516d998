import { IsString, Matches, MaxLength } from 'class-validator';

/**
 * A file's path exactly as a version lists it, to look it up by (not a new path to store: an
 * upload's path has its own rules). Any text but an empty one or one holding U+0000, which
 * PostgreSQL cannot take; a path the version does not list is the handler's 404.
 */
export function ListedPath(maxLength: number): PropertyDecorator {
  const decorators = [IsString(), MaxLength(maxLength), Matches(/^[^\u0000]+$/, { message: 'path must be a file path: not empty, without U+0000' })];
  return (target, property) => {
    for (const decorate of decorators) decorate(target, property);
  };
}
