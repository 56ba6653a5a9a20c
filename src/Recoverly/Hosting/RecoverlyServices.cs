using Microsoft.Extensions.DependencyInjection.Extensions;
using Recoverly.Billing;
using Recoverly.Businesses;
using Recoverly.Calls;
using Recoverly.Consent;
using Recoverly.Data;
using Recoverly.Dispatch;
using Recoverly.Owners;
using Recoverly.Telephony;
using Recoverly.Telephony.Simulator;
using Recoverly.Texts;

namespace Recoverly.Hosting;

public static class RecoverlyServices
{
    /// <summary>Everything both the web app and the CLI need: options, database, provider adapter, domain handlers.</summary>
    public static IServiceCollection AddRecoverlyCore(this IServiceCollection services, IConfiguration config)
    {
        services.Configure<RecoverlyOptions>(config.GetSection("Recoverly"));
        services.Configure<TelephonyOptions>(config.GetSection("Telephony"));
        services.Configure<TwilioOptions>(config.GetSection("Twilio"));
        services.Configure<TelnyxOptions>(config.GetSection("Telnyx"));
        services.Configure<DispatchOptions>(config.GetSection("Dispatch"));
        services.PostConfigure<TwilioOptions>(o =>
        {
            var telephony = config.GetSection("Telephony").Get<TelephonyOptions>() ?? new TelephonyOptions();
            if (!telephony.IsSimulator) return;
            o.AccountSid ??= TwilioOptions.SimulatorAccountSid;
            o.AuthToken ??= TwilioOptions.SimulatorAuthToken;
        });

        services.TryAddSingleton(TimeProvider.System);
        services.AddRecoverlyDb(config);
        services.AddSingleton<BillingSettings>();
        services.AddSingleton(OwnerTextPolicy.From);
        services.AddScoped<FoundingProgram>();
        services.AddScoped<StripeWebhook>();
        services.AddScoped<StripeCheckout>();
        services.AddHttpClient(StripeCheckout.HttpClientName, http => http.Timeout = TimeSpan.FromSeconds(30));
        services.AddSingleton<PublicUrls>();
        services.AddSingleton<DispatchSignal>();
        services.AddSingleton<SendPacer>();
        services.AddSingleton<EmailDelivery>();
        services.AddSingleton<Recoverly.Push.VapidKeys>();
        services.AddSingleton<Recoverly.Push.PushDelivery>();
        services.AddHttpClient(Recoverly.Push.PushDelivery.HttpClientName, http => http.Timeout = TimeSpan.FromSeconds(30))
            .ConfigurePrimaryHttpMessageHandler(sp =>
            {
                var push = sp.GetRequiredService<Recoverly.Push.PushDelivery>();
                return Recoverly.Push.PushDelivery.Handler(() => push.LoopbackAllowed);
            });
        services.AddSingleton<DispatchScopes>();
        services.AddSingleton<Dispatcher>();
        services.AddSingleton<SenderRegistrations>();
        services.AddScoped<TwilioRegistrationLookup>();
        services.AddTransient<ApiBaseUrlHandler>();
        // Innermost on each provider's send client: start-up's rehearsed sends go to the rehearsal's loopback stand-in, never
        // to the provider.
        services.AddTransient<RehearsalAnswers>();
        services.AddHttpClient(TwilioGateway.HttpClientName, (sp, http) =>
            {
                var dispatch = sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<DispatchOptions>>().Value;
                http.Timeout = TimeSpan.FromSeconds(dispatch.SendTimeoutSeconds + 5);
            })
            .AddHttpMessageHandler<ApiBaseUrlHandler>()
            .AddHttpMessageHandler<RehearsalAnswers>()
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                MaxConnectionsPerServer = 256,
            });
        services.AddSingleton<TwilioGateway>();
        // A backstop only: each lookup has its own short deadline (Twilio:LookupTimeoutMilliseconds).
        services.AddHttpClient(TwilioLookup.HttpClientName, http => http.Timeout = TimeSpan.FromSeconds(10))
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) });
        services.AddSingleton<TwilioLookup>();
        services.AddSingleton<LineTypeCheck>();
        services.AddHttpClient(TelnyxGateway.HttpClientName, (sp, http) =>
            {
                var dispatch = sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<DispatchOptions>>().Value;
                http.Timeout = TimeSpan.FromSeconds(dispatch.SendTimeoutSeconds + 5);
            })
            .AddHttpMessageHandler<RehearsalAnswers>()
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) });
        services.AddSingleton<TelnyxGateway>();
        services.AddSingleton<TelnyxWebhookKey>();
        services.AddSingleton<TwilioRecordings>();
        // A voicemail's audio file at Telnyx's storage: no API key, no redirects, and only https links are handed to it (TelnyxRecordings).
        services.AddHttpClient(TelnyxRecordings.MediaClientName, http => http.Timeout = TimeSpan.FromSeconds(30))
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) });
        services.AddSingleton<TelnyxRecordings>();
        services.AddSingleton<ProviderDeletions>();
        // The one provider the dispatcher sends through; the simulator speaks Twilio's API.
        services.AddSingleton<ITextProvider>(sp => sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<TelephonyOptions>>().Value.IsTelnyx
            ? sp.GetRequiredService<TelnyxGateway>()
            : sp.GetRequiredService<TwilioGateway>());
        services.AddSingleton<TwilioVerificationCaller>();
        services.AddSingleton<TelnyxVerificationCaller>();
        services.AddSingleton<IVerificationCaller>(sp => sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<TelephonyOptions>>().Value.IsTelnyx
            ? sp.GetRequiredService<TelnyxVerificationCaller>()
            : sp.GetRequiredService<TwilioVerificationCaller>());
        services.AddScoped<LineVerification>();
        services.AddScoped<MissedCallRecorder>();
        services.AddScoped<InboundSmsHandler>();
        services.AddScoped<StatusCallbackHandler>();
        services.AddScoped<BusinessRegistry>();
        services.AddNumberProvisioning();
        services.AddScoped<Recoverly.Owners.OwnerOnboarding>();
        services.AddSimulator();
        return services;
    }
}
