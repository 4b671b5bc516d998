import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Audited } from '../audit/audited.decorator';
import { Roles } from '../auth/access.decorators';
import { ApiProblems } from '../openapi/api-problems';
import { uuidParam } from '../catalog/params';
import { DeadLetterPageDto, DeadLetterQuery, ReplayResultDto } from './dead-letters.dto';
import { DeadLettersService } from './dead-letters.service';

const deadLetterId = uuidParam('id');

@ApiTags('Operations')
@Controller('v1/admin/dead-letters')
export class DeadLettersController {
  constructor(private readonly deadLetters: DeadLettersService) {}

  @Get()
  @Roles(['admin'])
  @ApiOperation({
    summary: 'Events a consumer gave up on, newest first, from every service',
    description:
      'Admin only. A handler that failed EVENT_MAX_ATTEMPTS times, a malformed event, or an event held up by an earlier dead letter of its aggregate. Each item names its service; a service that does not answer within 2 s is listed in `unreachable`.',
  })
  @ApiOkResponse({ type: DeadLetterPageDto })
  @ApiProblems(400)
  list(@Query() query: DeadLetterQuery): Promise<DeadLetterPageDto> {
    return this.deadLetters.list(query);
  }

  @Post(':id/replay')
  @HttpCode(200)
  @Roles(['admin'])
  @Audited('dead-letter.replay', 'dead-letter', { replays: false })
  @ApiOperation({
    summary: 'Apply a dead letter again through its handler',
    description:
      'Admin only. Runs the event through its consumer’s handler with the inbox, so it takes effect at most once, and in its aggregate’s order; the answer says what happened. Replaying one already replayed changes nothing (`already-applied`).',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: ReplayResultDto })
  @ApiProblems(400, 404, 503)
  replay(@Param('id', deadLetterId) id: string): Promise<ReplayResultDto> {
    return this.deadLetters.replay(id);
  }
}
