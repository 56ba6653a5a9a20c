using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Recoverly.Businesses;
using Recoverly.Data;
using Recoverly.Dispatch;
using Recoverly.Operator;

namespace Recoverly.Telephony;

/// <summary>What one registration check found; <paramref name="Detail"/> is in the operator's words and names no phone number.</summary>
public sealed record RegistrationFinding(SenderRegistration State, string? Detail);

/// <summary>
/// Asks Twilio whether carriers will take texts from a number (docs/product/registration.md): a toll-free number's
/// verification (<c>GET /v1/Tollfree/Verifications?TollfreePhoneNumberSid=…</c>), or for a long code the A2P campaign of
/// <c>Twilio:MessagingServiceSid</c> (<c>GET /v1/Services/{MG}/Compliance/Usa2p</c>) and the number's membership of that
/// service (<c>GET /v1/Services/{MG}/PhoneNumbers/{PN}</c>). Same HttpClient as <see cref="TwilioGateway"/>, so
/// <c>Twilio:ApiBaseUrl</c> re-bases it onto the simulator or a test double.
/// </summary>
public sealed class TwilioRegistrationLookup(IHttpClientFactory httpClients, IOptions<TwilioOptions> options, ILogger<TwilioRegistrationLookup> log)
{
    private const string Messaging = "https://messaging.twilio.com/v1";

    /// <summary>NANP toll-free area codes: these numbers need toll-free verification instead of a 10DLC campaign.</summary>
    private static readonly string[] TollFreeCodes = ["800", "833", "844", "855", "866", "877", "888"];

    public static bool IsTollFree(string e164) => e164.Length == 12 && e164.StartsWith("+1", StringComparison.Ordinal) && TollFreeCodes.Contains(e164[2..5]);

    public async Task<RegistrationFinding> CheckAsync(string e164, string? providerSid, CancellationToken ct)
    {
        try
        {
            var sid = providerSid ?? await NumberSidAsync(e164, ct);
            if (sid is null) return new(SenderRegistration.Unknown, "the Twilio account has no such number");
            return IsTollFree(e164) ? await TollFreeAsync(sid, ct) : await LongCodeAsync(sid, ct);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or CheckFailed)
        {
            if (ct.IsCancellationRequested) throw;
            log.LogWarning("Registration check for {Number} failed: {Problem}", Phones.Mask(e164), e.Message);
            return new(SenderRegistration.Unknown, "Twilio could not be asked about the registration; asking again later");
        }
    }

    private async Task<RegistrationFinding> TollFreeAsync(string sid, CancellationToken ct)
    {
        var (_, json) = await GetAsync($"{Messaging}/Tollfree/Verifications?TollfreePhoneNumberSid={Uri.EscapeDataString(sid)}&PageSize=20", ct);
        var statuses = json!.RootElement.GetProperty("verifications").EnumerateArray()
            .Select(v => (Status: v.TryGetProperty("status", out var s) ? s.GetString() : null,
                Reason: v.TryGetProperty("rejection_reason", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null))
            .ToList();
        if (statuses.Any(v => v.Status == "TWILIO_APPROVED")) return new(SenderRegistration.Registered, null);
        if (statuses.Any(v => v.Status is "PENDING_REVIEW" or "IN_REVIEW"))
            return new(SenderRegistration.Pending, "toll-free verification is in review");
        if (statuses.FirstOrDefault(v => v.Status == "TWILIO_REJECTED") is { Status: not null } rejected)
            return new(SenderRegistration.Rejected, "toll-free verification was rejected" + (rejected.Reason is { } why ? $": {Trim(why)}" : ""));
        return new(SenderRegistration.Pending, "no toll-free verification has been submitted for this number");
    }

    private async Task<RegistrationFinding> LongCodeAsync(string sid, CancellationToken ct)
    {
        if (options.Value.MessagingServiceSid is not { Length: > 0 } service)
            return new(SenderRegistration.Pending, "Twilio:MessagingServiceSid is not set: a 10DLC number must be in the Messaging Service of a verified A2P campaign");
        var (_, campaigns) = await GetAsync($"{Messaging}/Services/{Uri.EscapeDataString(service)}/Compliance/Usa2p?PageSize=20", ct);
        var statuses = campaigns!.RootElement.GetProperty("compliance").EnumerateArray()
            .Select(c => c.TryGetProperty("campaign_status", out var s) ? s.GetString() : null).ToList();
        RegistrationFinding campaign = statuses.Contains("VERIFIED") ? new(SenderRegistration.Registered, null)
            : statuses.Count == 0 ? new(SenderRegistration.Pending, $"Messaging Service {service} has no A2P campaign")
            : statuses.All(s => s == "FAILED") ? new(SenderRegistration.Rejected, $"the A2P campaign of Messaging Service {service} failed vetting")
            : new(SenderRegistration.Pending, $"the A2P campaign of Messaging Service {service} is {string.Join(", ", statuses.Distinct())}");
        if (campaign.State == SenderRegistration.Rejected) return campaign;
        var (status, _) = await GetAsync($"{Messaging}/Services/{Uri.EscapeDataString(service)}/PhoneNumbers/{Uri.EscapeDataString(sid)}", ct, allowNotFound: true);
        if (status == HttpStatusCode.NotFound)
            return new(SenderRegistration.Pending, $"the number is not in Messaging Service {service} (add it to the campaign's sender pool)");
        return campaign;
    }

    private async Task<string?> NumberSidAsync(string e164, CancellationToken ct)
    {
        var account = options.Value.AccountSid;
        var (_, json) = await GetAsync(
            $"https://api.twilio.com/2010-04-01/Accounts/{account}/IncomingPhoneNumbers.json?PhoneNumber={Uri.EscapeDataString(e164)}&PageSize=20", ct);
        return json!.RootElement.GetProperty("incoming_phone_numbers").EnumerateArray()
            .Where(n => n.GetProperty("phone_number").GetString() == e164).Select(n => n.GetProperty("sid").GetString()).FirstOrDefault();
    }

    private async Task<(HttpStatusCode Status, JsonDocument? Json)> GetAsync(string url, CancellationToken ct, bool allowNotFound = false)
    {
        var o = options.Value;
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{o.AccountSid}:{o.AuthToken}")));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));
        using var response = await httpClients.CreateClient(TwilioGateway.HttpClientName).SendAsync(request, timeout.Token);
        if (allowNotFound && response.StatusCode == HttpStatusCode.NotFound) return (response.StatusCode, null);
        if (!response.IsSuccessStatusCode) throw new CheckFailed($"HTTP {(int)response.StatusCode} from {new Uri(url).AbsolutePath}");
        return (response.StatusCode, await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(timeout.Token), cancellationToken: timeout.Token));
    }

    private static string Trim(string s) => s.Length <= 150 ? s : s[..150];

    private sealed class CheckFailed(string message) : Exception(message);
}

/// <summary>
/// The registration state of every Recoverly number (docs/product/registration.md): checked when a number is given to a
/// business, re-checked by the dispatcher role while not registered, and set back when a send fails with 30034/30032.
/// The dispatcher skips the senders in <see cref="HeldSendersAsync"/> when it claims, so their texts wait unsent.
/// </summary>
public sealed class SenderRegistrations(IServiceScopeFactory scopes, IOptions<TwilioOptions> twilio, IOptions<TelephonyOptions> telephony,
    DispatchSignal signal, TimeProvider time, ILogger<SenderRegistrations> log)
{
    /// <summary>How often a number that is not registered is asked about again.</summary>
    public static readonly TimeSpan RecheckEvery = TimeSpan.FromMinutes(15);

    /// <summary>How long the dispatcher trusts its list of held senders before reading it again (other processes may change it).</summary>
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(30);

    public const int UnregisteredTwilio = 30034, UnverifiedTollFree = 30032;

    private readonly Lock _lock = new();
    private HashSet<string> _held = [];
    private DateTime _loadedAt = DateTime.MinValue;
    private bool _stale = true;

    public bool Enabled => twilio.Value.ChecksRegistration(telephony.Value);

    private DateTime Now => time.GetUtcNow().UtcDateTime;

    /// <summary>Numbers whose texts wait (not registered): one small query at most every <see cref="CacheFor"/>, none when the check is off.</summary>
    public async Task<IReadOnlyCollection<string>> HeldSendersAsync(RecoverlyDb db, CancellationToken ct)
    {
        if (!Enabled) return [];
        lock (_lock)
            if (!_stale && Now - _loadedAt < CacheFor) return _held;
        var held = (await db.Numbers.AsNoTracking().Where(n => n.Registration != SenderRegistration.Registered).Select(n => n.E164).ToListAsync(ct))
            .ToHashSet();
        lock (_lock)
        {
            (_held, _loadedAt, _stale) = (held, Now, false);
            return _held;
        }
    }

    private void Changed()
    {
        lock (_lock) _stale = true;
        signal.Notify();
    }

    /// <summary>The business's Recoverly number whose texts are held right now, or null (the check is off, or it is registered).</summary>
    public RecoverlyNumber? HeldNumber(Business business) =>
        Enabled ? business.Numbers.FirstOrDefault(n => n.Registration != SenderRegistration.Registered) : null;

    /// <summary>A number just given to a business starts as Unknown (held) when the check is on, and is checked at once.</summary>
    public SenderRegistration Initial => Enabled ? SenderRegistration.Unknown : SenderRegistration.Registered;

    /// <summary>Checks one number now (at provisioning); never throws for the provider's sake.</summary>
    public async Task<RegistrationFinding?> CheckNumberAsync(string e164, CancellationToken ct)
    {
        if (!Enabled) return null;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RecoverlyDb>();
        var lookup = scope.ServiceProvider.GetRequiredService<TwilioRegistrationLookup>();
        var sid = await db.PoolNumbers.AsNoTracking().Where(p => p.E164 == e164).Select(p => p.ProviderSid).FirstOrDefaultAsync(ct);
        var finding = await lookup.CheckAsync(e164, sid, ct);
        await ApplyAsync(db, e164, finding, ct);
        return finding;
    }

    /// <summary>Checks every number that is not registered and is due (the dispatcher role runs this every minute).</summary>
    public async Task<int> CheckDueAsync(CancellationToken ct)
    {
        if (!Enabled) return 0;
        List<string> due;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var now = Now;
            due = await scope.ServiceProvider.GetRequiredService<RecoverlyDb>().Numbers.AsNoTracking()
                .Where(n => n.Registration != SenderRegistration.Registered && (n.RegistrationCheckAt == null || n.RegistrationCheckAt <= now))
                .OrderBy(n => n.RegistrationCheckAt).Select(n => n.E164).Take(50).ToListAsync(ct);
        }
        foreach (var e164 in due) await CheckNumberAsync(e164, ct);
        return due.Count;
    }

    /// <summary>Records a finding; a rejection raises an operator notice, an approval lets the held texts go.</summary>
    private async Task ApplyAsync(RecoverlyDb db, string e164, RegistrationFinding finding, CancellationToken ct)
    {
        var now = Now;
        await using var tx = await db.BeginWriteAsync(ct);
        var number = await db.Numbers.FirstOrDefaultAsync(n => n.E164 == e164, ct);
        if (number is null) return;
        var before = number.Registration;
        number.Registration = finding.State;
        number.RegistrationDetail = finding.Detail is { } d && d.Length > 300 ? d[..300] : finding.Detail;
        number.RegistrationCheckAt = finding.State == SenderRegistration.Registered ? null : now + RecheckEvery;
        await db.SaveChangesAsync(ct);
        if (finding.State == SenderRegistration.Rejected && before != SenderRegistration.Rejected)
            await OperatorNotices.RaiseAsync(db, OperatorNotices.SenderRegistration,
                $"Registration of sender {e164} was rejected ({finding.Detail}). Its texts are held until it is approved; fix and resubmit in the Twilio console.",
                now, ct);
        await tx.CommitAsync(ct);
        if (before != finding.State)
        {
            log.LogInformation("Number {Number}: registration {Before} -> {After}", Phones.Mask(e164), before, finding.State);
            Changed();
        }
    }

    /// <summary>A send failed with 30034/30032: carriers say the number is not registered, whatever the last check said.</summary>
    public async Task MarkUnregisteredAsync(string e164, int code, CancellationToken ct)
    {
        if (!Enabled || code is not (UnregisteredTwilio or UnverifiedTollFree)) return;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RecoverlyDb>();
        var now = Now;
        await using var tx = await db.BeginWriteAsync(ct);
        var changed = await db.Numbers.Where(n => n.E164 == e164 && n.Registration == SenderRegistration.Registered)
            .ExecuteUpdateAsync(s => s.SetProperty(n => n.Registration, SenderRegistration.Pending)
                .SetProperty(n => n.RegistrationDetail, $"a text failed with {code} ({ProviderErrors.Describe(code).Reason})")
                .SetProperty(n => n.RegistrationCheckAt, now + RecheckEvery), ct);
        if (changed > 0)
            await OperatorNotices.RaiseAsync(db, OperatorNotices.SenderRegistration,
                $"A text from {e164} failed with {code}: carriers treat it as unregistered. Its texts are held; check its 10DLC campaign / toll-free verification.",
                now, ct);
        await tx.CommitAsync(ct);
        if (changed > 0)
        {
            log.LogWarning("Number {Number}: send failed with {Code}; texts from it are held until its registration checks out", Phones.Mask(e164), code);
            Changed();
        }
    }
}

/// <summary>Re-checks numbers that are not registered (dispatcher role), once a minute.</summary>
public sealed class RegistrationMonitorService(SenderRegistrations registrations, TimeProvider time, ILogger<RegistrationMonitorService> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!registrations.Enabled) return;
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(1), time);
        do
        {
            try
            {
                await registrations.CheckDueAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                log.LogError(e, "Registration re-check failed; trying again in a minute");
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
