using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Xml.Linq;
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
    public const string CantCallThatNumber = "Your Recoverly account can't call that number. Check the business line, or contact support.";
    public const string TryLater = "We couldn't place the call just now. Try again in a few minutes.";

    public bool Placed => Problem is null;
}

/// <summary>
/// Places the call that proves an owner controls their business line (docs/product/call-through.md): the provider
/// rings <c>to</c> from the business's Recoverly number and speaks the words: Twilio (and the simulator, which speaks
/// Twilio's API) and Telnyx (through the TeXML application, when one is configured).
/// </summary>
public interface IVerificationCaller
{
    /// <summary>What the owner reads when this installation can't place the call (Telnyx without a TeXML application).</summary>
    public const string Unavailable =
        "Call-through isn't available on this installation yet: the phone provider isn't set up to place the verification call. Use call forwarding instead.";

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
                ? VerificationCallResult.CantCallThatNumber
                : VerificationCallResult.TryLater);
        }
        catch (Exception e) when (e is ApiConnectionException or HttpRequestException or TaskCanceledException or TimeoutException
                                  or Newtonsoft.Json.JsonException)
        {
            log.LogWarning("Verification call to {To} failed: {Error}", Phones.Mask(to), e.GetType().Name);
            return new VerificationCallResult(null, VerificationCallResult.TryLater);
        }
    }
}

/// <summary>
/// Telnyx's connection-scoped TeXML Calls API: <c>POST /v2/texml/calls/{TeXML application id}</c> (Bearer key, JSON
/// <c>From</c>, <c>To</c> and inline <c>Texml</c>), answered with a flat <c>{"call_sid": …}</c> (docs/decisions/0005-telnyx-voice-texml.md).
/// Inline TeXML keeps the code out of any URL and out of the database, as with Twilio.
/// </summary>
public sealed class TelnyxVerificationCaller(IHttpClientFactory httpClients, IOptions<TelnyxOptions> options, ILogger<TelnyxVerificationCaller> log)
    : IVerificationCaller
{
    public bool Supported => !string.IsNullOrWhiteSpace(options.Value.TexmlApplicationId);

    public async Task<VerificationCallResult> CallAsync(string to, string from, string words, CancellationToken ct)
    {
        var o = options.Value;
        if (!Supported) return new VerificationCallResult(null, IVerificationCaller.Unavailable);
        // Said twice: the owner may pick up mid-sentence.
        var texml = new XElement("Response",
            new XElement("Pause", new XAttribute("length", 1)), new XElement("Say", words),
            new XElement("Pause", new XAttribute("length", 1)), new XElement("Say", words), new XElement("Hangup"));
        using var request = new HttpRequestMessage(System.Net.Http.HttpMethod.Post,
            $"{o.ApiBaseUrl.TrimEnd('/')}/v2/texml/calls/{Uri.EscapeDataString(o.TexmlApplicationId!.Trim())}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", o.ApiKey);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Content = JsonContent.Create(new Dictionary<string, string>
        {
            ["From"] = from, ["To"] = to, ["Texml"] = texml.ToString(SaveOptions.DisableFormatting),
        });
        try
        {
            using var response = await httpClients.CreateClient(TelnyxGateway.HttpClientName).SendAsync(request, ct);
            var json = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode)
            {
                log.LogWarning("Verification call to {To} refused by Telnyx: HTTP {Status}, code {Code}", Phones.Mask(to), (int)response.StatusCode,
                    TelnyxGateway.ErrorCode(json));
                // 400/422 is a request Telnyx won't place (the number or the sender); anything else may pass.
                return new VerificationCallResult(null, (int)response.StatusCode is 400 or 422
                    ? VerificationCallResult.CantCallThatNumber
                    : VerificationCallResult.TryLater);
            }
            return new VerificationCallResult(CallSid(json), null);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException or TimeoutException)
        {
            log.LogWarning("Verification call to {To} failed: {Error}", Phones.Mask(to), e.GetType().Name);
            return new VerificationCallResult(null, VerificationCallResult.TryLater);
        }
    }

    /// <summary>The created call's <c>call_sid</c> (flat, or inside <c>data</c>); null when the answer names none we could store.</summary>
    internal static string? CallSid(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            var sid = TelnyxGateway.Str(root, "call_sid")
                      ?? (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("data", out var data) ? TelnyxGateway.Str(data, "call_sid") : null);
            return TelnyxWebhooks.LooksLikeCallSid(sid) ? sid : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
