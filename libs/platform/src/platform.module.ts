import { DEFAULT_PORTS } from '@trove/contracts';
import { type DynamicModule, Global, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { markConnectionFailures } from './database-unavailable';
import { LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';
import { databasePoolOptions, loadConfig, PlatformConfig } from './config';
import { HealthController, Readiness } from './health';
import { createRootLogger, loggerParams, ROOT_LOGGER } from './logging';
import { MetricsController, MetricsService } from './metrics';
import { serviceIdentity, type PlatformModuleOptions } from './platform.options';
import { ProblemFilter } from './problem.filter';

const IDENTITY = Symbol('SERVICE_IDENTITY');

/**
 * What every app has: validated settings, JSON logs, its own database, health, metrics and
 * problem+json errors. Imported once, by the app's root module.
 */
@Global()
@Module({})
export class PlatformModule {
  static forRoot<C extends PlatformConfig>(options: PlatformModuleOptions<C>): DynamicModule {
    const configClass = options.config ?? PlatformConfig;
    const configProviders = [
      { provide: configClass, useFactory: () => loadConfig(configClass, process.env, { PORT: DEFAULT_PORTS[options.service] }) },
      ...(configClass === PlatformConfig ? [] : [{ provide: PlatformConfig, useExisting: configClass }]),
    ];
    return {
      module: PlatformModule,
      imports: [
        TerminusModule.forRoot({ logger: false }),
        LoggerModule.forRootAsync({
          inject: [ROOT_LOGGER],
          useFactory: (root: Logger) => loggerParams(root),
        }),
        TypeOrmModule.forRootAsync({
          inject: [PlatformConfig],
          useFactory: (config: PlatformConfig) => ({
            type: 'postgres' as const,
            url: config.DATABASE_URL,
            entities: options.entities,
            migrations: options.migrations,
            synchronize: false,
            migrationsRun: false,
            retryAttempts: 1,
            retryDelay: 500,
            extra: databasePoolOptions(config),
          }),
          // A connection the pool cannot give is a 503 to send again, not a 500 (database-unavailable.ts).
          dataSourceFactory: async (options) => markConnectionFailures(new DataSource(options!)).initialize(),
        }),
      ],
      controllers: [HealthController, MetricsController],
      providers: [
        ...configProviders,
        { provide: IDENTITY, useFactory: () => serviceIdentity(options.service) },
        { provide: ROOT_LOGGER, inject: [PlatformConfig, IDENTITY], useFactory: createRootLogger },
        { provide: APP_FILTER, useClass: ProblemFilter },
        MetricsService,
        Readiness,
      ],
      exports: [...configProviders.map((p) => p.provide), IDENTITY, ROOT_LOGGER, MetricsService, Readiness],
    };
  }
}

export { IDENTITY as SERVICE_IDENTITY };
