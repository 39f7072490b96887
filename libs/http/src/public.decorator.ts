import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'koredump:isPublic';

/** Opts a route out of bearer-token authentication (probes only). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);
