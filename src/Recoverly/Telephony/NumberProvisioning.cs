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
/// Where Recoverly numbers come from: a local pool in simulator mode, the Twilio or Telnyx account's
/// owned numbers otherwise. <see cref="PrepareAsync"/> points a number at this installation before a
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
        services.AddScoped<TwilioOwnedNumbers>();
        services.AddScoped<TelnyxOwnedNumbers>();
        services.AddScoped<INumberProvisioning>(sp => sp.GetRequiredService<IOptions<TelephonyOptions>>().Value switch
        {
            { IsSimulator: true } => sp.GetRequiredService<SimulatorNumberPool>(),
            { IsTelnyx: true } => sp.GetRequiredService<TelnyxOwnedNumbers>(),
            _ => sp.GetRequiredService<TwilioOwnedNumbers>(),
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
/// Twilio: lists the account's IncomingPhoneNumbers and, for the chosen one, sets the voice, status
/// and SMS webhooks to this installation — through the official package and the same HttpClient as
/// <see cref="TwilioGateway"/> (so <c>Twilio:ApiBaseUrl</c> applies).
/// </summary>
public sealed class TwilioOwnedNumbers(RecoverlyDb db, IHttpClientFactory httpClients, IOptions<TwilioOptions> options, PublicUrls urls,
    ILogger<TwilioOwnedNumbers> log) : INumberProvisioning
{
    private const int MaxListed = 1000;

    public bool OwnerChooses => true;

    private ITwilioRestClient Client()
    {
        var o = options.Value;
        return new TwilioRestClient(o.AccountSid, o.AuthToken, accountSid: o.AccountSid,
            httpClient: new SystemNetHttpClient(httpClients.CreateClient(TwilioGateway.HttpClientName)));
    }

    public async Task<FreeNumbers> FreeNumbersAsync(CancellationToken ct)
    {
        List<IncomingPhoneNumberResource> owned;
        try
        {
            owned = await ListOwnedAsync(ct);
        }
        catch (Exception e) when (e is ApiException or ApiConnectionException or HttpRequestException or TaskCanceledException)
        {
            log.LogWarning(e, "Listing the Twilio account's phone numbers failed");
            return new FreeNumbers([], "Couldn't reach Twilio to list your numbers. Check the Twilio credentials and try again.");
        }
        var taken = await NumberProvisioning.TakenAsync(db, ct);
        var free = owned
            .Where(n => n.PhoneNumber?.ToString() is { } e164 && !taken.Contains(e164) && Usable(n))
            .Select(n => new FreeNumber(n.PhoneNumber.ToString(), n.FriendlyName))
            .OrderBy(n => n.E164, StringComparer.Ordinal)
            .ToList();
        return free.Count == 0
            ? new FreeNumbers([], "Your Twilio account has no free number with voice and SMS. Buy one in the Twilio console, then reload this page.")
            : new FreeNumbers(free);
    }

    public async Task<string?> PrepareAsync(string e164, CancellationToken ct)
    {
        try
        {
            var owned = await ListOwnedAsync(ct);
            var number = owned.FirstOrDefault(n => n.PhoneNumber?.ToString() == e164);
            if (number is null || !Usable(number)) return "That number isn't in your Twilio account (or can't take calls and texts). Pick another.";
            await IncomingPhoneNumberResource.UpdateAsync(new UpdateIncomingPhoneNumberOptions(number.Sid)
            {
                VoiceUrl = new Uri(urls.For("/twilio/voice")),
                VoiceMethod = Twilio.Http.HttpMethod.Post,
                StatusCallback = new Uri(urls.For("/twilio/voice/status")),
                StatusCallbackMethod = Twilio.Http.HttpMethod.Post,
                SmsUrl = new Uri(urls.For("/twilio/sms")),
                SmsMethod = Twilio.Http.HttpMethod.Post,
                // An attached TwiML App would win over the URLs above: detach it.
                VoiceApplicationSid = "",
                SmsApplicationSid = "",
            }, Client()).WaitAsync(ct);
            log.LogInformation("Pointed Twilio number {Number} ({Sid}) at {Base}", Phones.Mask(e164), number.Sid, urls.Base);
            return null;
        }
        catch (Exception e) when (e is ApiException or ApiConnectionException or HttpRequestException or TaskCanceledException)
        {
            log.LogWarning(e, "Configuring Twilio number {Number} failed", Phones.Mask(e164));
            return "Twilio didn't accept the change to that number's webhooks. Try again in a minute.";
        }
    }

    private async Task<List<IncomingPhoneNumberResource>> ListOwnedAsync(CancellationToken ct)
    {
        var set = await IncomingPhoneNumberResource.ReadAsync(new ReadIncomingPhoneNumberOptions { PageSize = 100, Limit = MaxListed }, Client())
            .WaitAsync(ct);
        // The package fetches further pages while enumerating (blocking I/O): do that off the request thread.
        return await Task.Run(() => set.ToList(), ct);
    }

    /// <summary>Numbers without voice or SMS can't be Recoverly numbers; unknown capabilities get the benefit of the doubt.</summary>
    private static bool Usable(IncomingPhoneNumberResource n) =>
        n.Capabilities is null || (n.Capabilities.Voice != false && n.Capabilities.Sms != false);
}
