import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Audited } from '../audit/audited.decorator';
import { Public, Roles } from '../auth/access.decorators';
import { CurrentPrincipal } from '../auth/principal.decorator';
import type { Principal } from '../auth/principal';
import { ApiProblems } from '../openapi/api-problems';
import { SignUpLimit } from '../auth/rate-limits';
import { MeDto, SignUpDto, SignUpResultDto } from './identity.dto';
import { IdentityService } from './identity.service';

@ApiTags('Organizations and keys')
@Controller('v1')
export class OrganizationsController {
  constructor(private readonly identity: IdentityService) {}

  @Post('organizations')
  @HttpCode(201)
  @Public()
  @Audited('organization.sign-up', 'organization', { createsTarget: true, replays: false })
  @SignUpLimit(SignUpDto)
  @ApiOperation({
    summary: 'Sign up an organization',
    description:
      'Buyers start `active`; vendors `pending` until an operator approves them. The answer holds the first API key, shown only here. ' +
      'No key is needed; a key that is sent is checked, so a suspended organization\'s key is 403.',
  })
  @ApiCreatedResponse({ type: SignUpResultDto })
  @ApiProblems(400, 403, 413)
  signUp(@Body() body: SignUpDto): Promise<SignUpResultDto> {
    return this.identity.signUp(body);
  }

  @Get('me')
  @Roles(['admin', 'vendor', 'buyer'])
  @ApiOperation({ summary: 'The organization, role and key of the caller' })
  @ApiOkResponse({ type: MeDto })
  me(@CurrentPrincipal() principal: Principal): MeDto {
    return this.identity.me(principal);
  }
}
