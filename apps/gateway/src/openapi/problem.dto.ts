import { ApiProperty } from '@nestjs/swagger';

export class ProblemFieldDto {
  @ApiProperty({ example: 'id' })
  field: string;

  @ApiProperty({ type: [String], example: ['id must be a UUID'] })
  problems: string[];
}

/** application/problem+json, as every error is answered. */
export class ProblemDto {
  @ApiProperty({ example: 'urn:problem:trove:validation-failed' })
  type: string;

  @ApiProperty({ example: 'Bad Request' })
  title: string;

  @ApiProperty({ example: 400 })
  status: number;

  @ApiProperty({ example: 'id: id must be a UUID' })
  detail: string;

  @ApiProperty({
    example: 'VALIDATION_FAILED',
    pattern: '^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$',
    description: 'Stable, UPPER_SNAKE_CASE: what clients branch on. New codes appear over time; treat one you do not know by its status.',
  })
  code: string;

  @ApiProperty({ example: '5f0c3a1e-6a3b-4d0e-9a52-0e6f1b8d2c11', description: 'Also in the x-correlation-id header' })
  correlationId: string;

  @ApiProperty({ type: [ProblemFieldDto], required: false })
  errors?: ProblemFieldDto[];
}
