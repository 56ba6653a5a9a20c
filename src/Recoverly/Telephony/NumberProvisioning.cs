using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Recoverly.Data;
using Twilio.Clients;
using Twilio.Exceptions;
using Twilio.Http;
using Twilio.Rest.Api.V2010.Account;

namespace Recoverly.Telephony;

/// <summary>A number the provider holds that no business uses yet.</summary>
public sealed record FreeNumber(string E164, string? FriendlyName);

/// <summary>The free numbers, or why they could not be listed (in the owner's words).</summary>
public sealed record FreeNumbers(IReadOnlyList<FreeNumber> Numbers, string? Problem = null);

/// <summary>
/// Where Recoverly numbers come from: a local pool in simulator mode, the operator's pool of Twilio or
/// Telnyx numbers otherwise. <see cref="PrepareAsync"/> points a number at this installation before a
/// business gets it; recording the assignment is the caller's job (one transaction with the business).
/// </summary>
public interface INumberProvisioning
{
    /// <summary>True when the owner chooses among several numbers; false when one is assigned for them.</summary>
    bool OwnerChooses { get; }

    Task<FreeNumbers> FreeNumbersAsync(CancellationToken ct);

    /// <summary>Readies <paramref name="e164"/> for use; returns the problem in the owner's words, or null.</summary>
    Task<string?> PrepareAsync(string e164, CancellationToken ct);
}

public static class NumberProvisioning
{
    public static IServiceCollection AddNumberProvisioning(this IServiceCollection services)
    {
        services.AddScoped<SimulatorNumberPool>();
        services.AddScoped<TwilioNumberPool>();
        services.AddScoped<TelnyxNumberPool>();
        services.AddScoped<INumberProvisioning>(sp => sp.GetRequiredService<IOptions<TelephonyOptions>>().Value switch
        {
            { IsSimulator: true } => sp.GetRequiredService<SimulatorNumberPool>(),
            { IsTelnyx: true } => sp.GetRequiredService<TelnyxNumberPool>(),
            _ => sp.GetRequiredService<TwilioNumberPool>(),
        });
        return services;
    }

    /// <summary>Numbers Recoverly must not hand out: assigned ones, and any business line or owner phone (a loop otherwise).</summary>
    internal static async Task<HashSet<string>> TakenAsync(RecoverlyDb db, CancellationToken ct)
    {
        var taken = new HashSet<string>(await db.Numbers.AsNoTracking().Select(n => n.E164).ToListAsync(ct));
        var phones = await db.Businesses.AsNoTracking().Select(b => new { b.BusinessPhone, b.OwnerPhone }).ToListAsync(ct);
        foreach (var p in phones)
        {
            taken.Add(p.BusinessPhone);
            if (p.OwnerPhone is not null) taken.Add(p.OwnerPhone);
        }
        return taken;
    }
}

/// <summary>Simulator mode: fictional +1 512-555-0100 … 0199 numbers, first free one first.</summary>
public sealed class SimulatorNumberPool(RecoverlyDb db) : INumberProvisioning
{
    public static IEnumerable<string> Pool => Enumerable.Range(100, 100).Select(i => $"+15125550{i:D3}");

    public bool OwnerChooses => false;

    public async Task<FreeNumbers> FreeNumbersAsync(CancellationToken ct)
    {
        var taken = await NumberProvisioning.TakenAsync(db, ct);
        var free = Pool.Where(n => !taken.Contains(n)).Select(n => new FreeNumber(n, "Simulator number")).ToList();
        return free.Count == 0 ? new FreeNumbers([], "All simulator numbers are in use.") : new FreeNumbers(free);
    }

    public Task<string?> PrepareAsync(string e164, CancellationToken ct) =>
        Task.FromResult(Pool.Contains(e164) ? null : "That is not a simulator number.");
}

/// <summary>
/// Twilio: sign-ups are offered only free numbers of the operator's pool (<see cref="NumberPool"/>, filled by
/// <c>numbers add</c>), read from the database — the Twilio account itself is never listed for them. For the
/// chosen one, the voice, status and SMS webhooks and their fallback URLs are pointed at this installation through the official
/// package and the same HttpClient as <see cref="TwilioGateway"/> (so <c>Twilio:ApiBaseUrl</c> applies).
/// </summary>
public sealed class TwilioNumberPool(RecoverlyDb db, IHttpClientFactory httpClients, IOptions<TwilioOptions> options, PublicUrls urls,
    ILogger<TwilioNumberPool> log) : INumberProvisioning
{
    public bool OwnerChooses => true;

    private ITwilioRestClient Client()
    {
        var o = options.Value;
        return new TwilioRestClient(o.AccountSid, o.AuthToken, accountSid: o.AccountSid,
            httpClient: new SystemNetHttpClient(httpClients.CreateClient(TwilioGateway.HttpClientName)));
    }

    public Task<FreeNumbers> FreeNumbersAsync(CancellationToken ct) => NumberPool.FreeAsync(db, log, ct);

    public async Task<string?> PrepareAsync(string e164, CancellationToken ct)
    {
        var pooled = await db.PoolNumbers.AsNoTracking().FirstOrDefaultAsync(p => p.E164 == e164, ct);
        if (pooled is null) return "That number isn't one we can give out. Pick another.";
        try
        {
            var sid = pooled.ProviderSid ?? (await FindOwnedAsync(e164, ct))?.Sid;
            if (sid is null) return "That number isn't available any more. Pick another.";
            await IncomingPhoneNumberResource.UpdateAsync(new UpdateIncomingPhoneNumberOptions(sid)
            {
                VoiceUrl = new Uri(urls.For("/twilio/voice")),
                VoiceMethod = Twilio.Http.HttpMethod.Post,
                // Twilio asks these when the main URL fails or times out (docs/webhooks.md): the caller hears our words, not an error.
                VoiceFallbackUrl = new Uri(urls.For(WebhookEndpoints.VoiceFallbackPath)),
                VoiceFallbackMethod = Twilio.Http.HttpMethod.Post,
                StatusCallback = new Uri(urls.For("/twilio/voice/status")),
                StatusCallbackMethod = Twilio.Http.HttpMethod.Post,
                SmsUrl = new Uri(urls.For("/twilio/sms")),
                SmsMethod = Twilio.Http.HttpMethod.Post,
                SmsFallbackUrl = new Uri(urls.For(WebhookEndpoints.SmsFallbackPath)),
                SmsFallbackMethod = Twilio.Http.HttpMethod.Post,
                // An attached TwiML App would win over the URLs above: detach it.
                VoiceApplicationSid = "",
                SmsApplicationSid = "",
            }, Client()).WaitAsync(ct);
            log.LogInformation("Pointed Twilio number {Number} ({Sid}) at {Base}", Phones.Mask(e164), sid, urls.Base);
            return null;
        }
        catch (Exception e) when (e is ApiException or ApiConnectionException or HttpRequestException or TaskCanceledException)
        {
            log.LogWarning(e, "Configuring Twilio number {Number} failed", Phones.Mask(e164));
            return "Twilio didn't accept the change to that number's webhooks. Try again in a minute.";
        }
    }

    /// <summary>
    /// The account's number <paramref name="e164"/> (one filtered request, never a listing of the account), or null
    /// when the account has no such number. Throws when Twilio can't be reached.
    /// </summary>
    public async Task<IncomingPhoneNumberResource?> FindOwnedAsync(string e164, CancellationToken ct)
    {
        var set = await IncomingPhoneNumberResource.ReadAsync(
                new ReadIncomingPhoneNumberOptions { PhoneNumber = new Twilio.Types.PhoneNumber(e164), PageSize = 20, Limit = 20 }, Client())
            .WaitAsync(ct);
        return set.FirstOrDefault(n => n.PhoneNumber?.ToString() == e164);
    }

    /// <summary>For <c>numbers add</c>: the number's Twilio id, or the problem in the operator's words.</summary>
    public async Task<(string? Sid, string? Problem)> CheckOwnedAsync(string e164, CancellationToken ct)
    {
        IncomingPhoneNumberResource? number;
        try
        {
            number = await FindOwnedAsync(e164, ct);
        }
        catch (Exception e) when (e is ApiException or ApiConnectionException or HttpRequestException or TaskCanceledException)
        {
            log.LogWarning(e, "Looking up Twilio number {Number} failed", Phones.Mask(e164));
            return (null, $"couldn't ask Twilio about {e164} ({e.Message}); check Twilio:AccountSid, Twilio:AuthToken and the network");
        }
        if (number is null) return (null, $"{e164} is not a number of Twilio account {options.Value.AccountSid}");
        if (!Usable(number)) return (null, $"{e164} can't take both calls and texts");
        return (number.Sid, null);
    }

    /// <summary>Numbers without voice or SMS can't be Recoverly numbers; unknown capabilities get the benefit of the doubt.</summary>
    private static bool Usable(IncomingPhoneNumberResource n) =>
        n.Capabilities is null || (n.Capabilities.Voice != false && n.Capabilities.Sms != false);
}
