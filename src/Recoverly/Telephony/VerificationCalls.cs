using Microsoft.Extensions.Options;
using Twilio.Clients;
using Twilio.Exceptions;
using Twilio.Http;
using Twilio.Rest.Api.V2010.Account;
using Twilio.TwiML;
using Twilio.Types;

namespace Recoverly.Telephony;

/// <summary>The answer to one verification call: the provider's call id, or the problem in the owner's words.</summary>
public sealed record VerificationCallResult(string? CallSid, string? Problem)
{
    public bool Placed => Problem is null;
}

/// <summary>
/// Places the call that proves an owner controls their business line (docs/product/call-through.md): the provider
/// rings <c>to</c> from the business's Recoverly number and speaks the words. Twilio (and the simulator, which speaks
/// Twilio's API) can; Telnyx cannot here yet.
/// </summary>
public interface IVerificationCaller
{
    bool Supported { get; }

    Task<VerificationCallResult> CallAsync(string to, string from, string words, CancellationToken ct);
}

/// <summary>Twilio's Calls API (<c>POST /2010-04-01/Accounts/{Sid}/Calls.json</c> with inline TwiML), through the same client as texts.</summary>
public sealed class TwilioVerificationCaller(IHttpClientFactory httpClients, IOptions<TwilioOptions> options, ILogger<TwilioVerificationCaller> log)
    : IVerificationCaller
{
    public bool Supported => true;

    /// <summary>How long the line rings before the provider gives up (a voicemail picking up still hears the code).</summary>
    public const int RingSeconds = 30;

    public async Task<VerificationCallResult> CallAsync(string to, string from, string words, CancellationToken ct)
    {
        var o = options.Value;
        var client = new TwilioRestClient(o.AccountSid, o.AuthToken, accountSid: o.AccountSid,
            httpClient: new SystemNetHttpClient(httpClients.CreateClient(TwilioGateway.HttpClientName)));
        // Said twice: the owner may pick up mid-sentence.
        var twiml = new VoiceResponse().Pause(1).Say(words).Pause(1).Say(words).Hangup();
        var create = new CreateCallOptions(new PhoneNumber(to), new PhoneNumber(from)) { Twiml = new Twiml(twiml.ToString()), Timeout = RingSeconds };
        try
        {
            var call = await CallResource.CreateAsync(create, client).WaitAsync(ct);
            return new VerificationCallResult(call.Sid, null);
        }
        catch (ApiException e)
        {
            log.LogWarning("Verification call to {To} refused by Twilio: {Code}", Phones.Mask(to), e.Code);
            return new VerificationCallResult(null, e.Code is 21215 or 21216 or 21217 or 13227
                ? "Your Recoverly account can't call that number. Check the business line, or contact support."
                : "We couldn't place the call just now. Try again in a few minutes.");
        }
        catch (Exception e) when (e is ApiConnectionException or HttpRequestException or TaskCanceledException or TimeoutException
                                  or Newtonsoft.Json.JsonException)
        {
            log.LogWarning("Verification call to {To} failed: {Error}", Phones.Mask(to), e.GetType().Name);
            return new VerificationCallResult(null, "We couldn't place the call just now. Try again in a few minutes.");
        }
    }
}

/// <summary>Telnyx: no verification call here (docs/product/call-through.md), so call-through can't be turned on.</summary>
public sealed class UnsupportedVerificationCaller : IVerificationCaller
{
    public const string Refusal =
        "Call-through isn't available with this installation's phone provider (Telnyx): we can't place the verification call. Use call forwarding instead.";

    public bool Supported => false;

    public Task<VerificationCallResult> CallAsync(string to, string from, string words, CancellationToken ct) =>
        Task.FromResult(new VerificationCallResult(null, Refusal));
}
