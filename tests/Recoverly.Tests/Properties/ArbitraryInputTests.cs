using System.Net;
using CsCheck;
using Microsoft.EntityFrameworkCore;
using Recoverly.Consent;
using Recoverly.Telephony;
using Recoverly.Tests.Infrastructure;
using Recoverly.Texts;

namespace Recoverly.Tests.Properties;

/// <summary>
/// Property tests with generated input: the text functions never throw on any Unicode a phone can send, and no
/// form posted to a webhook — forged or signed — answers 500 or, unsigned, changes anything.
/// </summary>
public class ArbitraryInputTests
{
    /// <summary>Any code point a UTF-8 webhook body can carry (lone surrogates cannot): emoji, RTL, controls, combining marks.</summary>
    private static readonly Gen<string> AnyText = Gen.Int[0, 0x10FFFF].Where(c => c is < 0xD800 or > 0xDFFF)
        .Select(char.ConvertFromUtf32).Array[0, 120].Select(string.Concat);

    /// <summary>Mostly text near the interesting cases: keywords, digits, GSM escapes, emoji, mixed with anything.</summary>
    private static readonly Gen<string> Text = Gen.OneOf<string>(
        AnyText,
        Gen.OneOf("STOP", "stop", " Stop. ", "HELP", "START", "yes", "UNSUBSCRIBE", "stop texting me", "ARRET", "+1 (512) 555-0142",
            "{Business}", "{booking_link}", "€^{}[]~|\\", "🙂", "‘quoted’", "\u200d", "", "   ").Select(Gen.OneOf("", " ", "!", "\n"),
            (word, affix) => affix + word + affix),
        Gen.Select(AnyText, Gen.OneOf("STOP", "HELP", "Reply STOP to opt out"), AnyText, (a, b, c) => a + b + c));

    [Fact]
    public void The_keyword_classifier_answers_every_text_and_never_throws()
    {
        Gen.Select(Text, Gen.Bool).Sample((body, optedOut) =>
        {
            var intent = KeywordClassifier.Classify(body, optedOut);
            Assert.True(Enum.IsDefined(intent), $"undefined intent {intent}");
        }, iter: 5_000);
    }

    [Fact]
    public void A_bare_stop_keyword_is_an_opt_out_whatever_its_case_and_surrounding_space()
    {
        var spaces = Gen.OneOf(" ", "\t", "\n", "\r\n", "").Array[0, 3].Select(string.Concat);
        var word = Gen.OneOf("stop", "stopall", "unsubscribe", "cancel", "end", "quit")
            .Select(Gen.Bool.Array[6], (w, upper) => string.Concat(w.Select((c, i) => upper[i % 6] ? char.ToUpperInvariant(c) : c)));
        Gen.Select(spaces, word, spaces).Sample((before, w, after) =>
            Assert.Equal(InboundIntent.OptOut, KeywordClassifier.Classify(before + w + after, currentlyOptedOut: false)), iter: 2_000);
    }

    [Fact]
    public void Phone_parsing_and_masking_never_throw_and_never_reveal_a_whole_number()
    {
        Text.Sample(raw =>
        {
            _ = Phones.ParseCaller(raw);
            var e164 = Phones.NormalizeUserInput(raw);
            if (e164 is not null)
            {
                Assert.Matches(@"^\+[1-9][0-9]{6,14}$", e164);
                Assert.DoesNotContain(e164[1..], Phones.Mask(e164), StringComparison.Ordinal);
            }
            _ = Phones.Mask(raw);
        }, iter: 3_000);
    }

    [Fact]
    public void Segment_counting_never_throws_and_more_text_never_takes_fewer_segments()
    {
        Gen.Select(Text, Text).Sample((a, b) =>
        {
            var alone = SegmentCalculator.Calculate(a);
            var longer = SegmentCalculator.Calculate(a + b);
            Assert.True(alone.Segments >= (a.Length == 0 ? 0 : 1), $"{alone.Segments} segments for {a.Length} chars");
            Assert.True(longer.Segments >= alone.Segments, $"{longer.Segments} segments after appending, {alone.Segments} before");
        }, iter: 3_000);
    }

    [Fact]
    public void Templates_render_and_check_any_text_without_throwing()
    {
        Gen.Select(Text, Text, Gen.OneOf<string?>(null, "https://book.example.com/acme")).Sample((template, name, link) =>
        {
            _ = TextTemplates.Render(template, name, link);
            var check = TemplateRules.Check(template, name, link);
            Assert.NotNull(check.Errors);
        }, iter: 3_000);
    }

    private static readonly string[] WebhookPaths =
        ["/twilio/voice", "/twilio/voice/status", "/twilio/voice/recording", "/twilio/voice/dial-complete", "/twilio/sms", "/twilio/sms/status",
         "/twilio/voice/screen?business=1&call=CA" + "00000000000000000000000000000000", "/twilio/voice/screen/answer?business=1&call=CA" + "00000000000000000000000000000000"];

    private static readonly string[] RealKeys =
    [
        "CallSid", "MessageSid", "SmsSid", "AccountSid", "From", "To", "Body", "CallStatus", "DialCallStatus", "Direction", "MessageStatus",
        "ErrorCode", "RecordingUrl", "RecordingSid", "TranscriptionText", "TranscriptionStatus", "CallerName", "OptOutType", "StirVerstat",
    ];

    /// <summary>A form of real and made-up keys with values that are sometimes right (our number, a well-formed SID) and mostly not.</summary>
    private static readonly Gen<Dictionary<string, string>> Form =
        Gen.Select(Gen.OneOf<string>(Gen.OneOf(RealKeys), Text.Where(k => k.Length > 0)),
                Gen.OneOf<string>(Text, Gen.OneOf("+15125550100", "+15125550142", "CA" + new string('a', 32), "SM" + new string('b', 32), "AC" + new string('c', 32),
                    "completed", "no-answer", "delivered", "STOP", "30006", "-1", "99999999999999999999")))
            .Array[0, 12]
            .Select(pairs => pairs.GroupBy(p => p.Item1).ToDictionary(g => g.Key, g => g.First().Item2));

    [Theory]
    [BothDatabases]
    public async Task No_forged_form_on_any_webhook_changes_anything_or_answers_500(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        await app.AddBusinessAsync();
        var before = await CountsAsync(app);

        await Gen.Select(Gen.OneOf(WebhookPaths), Form, Gen.OneOf<string?>(null, "", "bm90IGEgc2lnbmF0dXJl", "AAAA"))
            .SampleAsync(async (path, form, signature) =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form) };
                if (signature is not null) request.Headers.TryAddWithoutValidation("X-Twilio-Signature", signature);
                using var response = await app.Http.SendAsync(request);
                // Refused: 403 for a bad signature, 400 when the form itself cannot be read; never a 5xx.
                Assert.True(response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.BadRequest,
                    $"{path} answered {(int)response.StatusCode} to a forged form");
            }, iter: 150, threads: 1);

        Assert.Equal(before, await CountsAsync(app));
    }

    [Theory]
    [BothDatabases]
    public async Task A_signed_but_arbitrary_form_on_any_webhook_never_answers_500(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        await app.AddBusinessAsync();

        await Gen.Select(Gen.OneOf(WebhookPaths), Form).SampleAsync(async (path, form) =>
        {
            using var response = await app.PostSignedAsync(path, form);
            Assert.True((int)response.StatusCode is >= 200 and < 500, $"{path} answered {(int)response.StatusCode} to a signed form");
        }, iter: 150, threads: 1);
    }

    private static Task<(int, int, int, int, int)> CountsAsync(TestApp app) => app.QueryAsync(async d => (
        await d.MissedCalls.CountAsync(), await d.InboundMessages.CountAsync(), await d.OutboundMessages.CountAsync(),
        await d.ConsentEvents.CountAsync(), await d.MessageStatusEvents.CountAsync()));
}
