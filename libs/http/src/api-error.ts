import { ApiProperty } from '@nestjs/swagger';

/** The one error body every koredump endpoint answers with. */
export class ApiErrorDto {
  @ApiProperty({ example: 404 })
  readonly statusCode!: number;

  @ApiProperty({ example: 'Not Found', description: 'HTTP reason phrase' })
  readonly error!: string;

  @ApiProperty({ example: 'core core.x.0.abc.1.1 not found' })
  readonly message!: string;
}
