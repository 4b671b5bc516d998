import { ProcessedCommandTableV1Migration } from '@trove/messaging';

/** The billing's record of commands applied, by idempotency key. */
export class CreateProcessedCommands1764460000000 extends ProcessedCommandTableV1Migration {
  readonly name = 'CreateProcessedCommands1764460000000';
}
