/* Only with WECHAT_APP_ID configured (web/wechat.py): the share card through WeChat's
   JS-SDK, with the page's own og: title, description and image. */
(function () {
  "use strict";
  var node = document.getElementById("wechat-config");
  if (!node || !window.wx) return;
  var config = JSON.parse(node.textContent);
  function meta(name) {
    var el = document.querySelector('meta[property="og:' + name + '"]');
    return el ? el.getAttribute("content") : "";
  }
  wx.config({ debug: false, appId: config.appId, timestamp: config.timestamp, nonceStr: config.nonceStr,
              signature: config.signature, jsApiList: ["updateAppMessageShareData", "updateTimelineShareData"] });
  wx.ready(function () {
    var card = { title: meta("title"), desc: meta("description"), link: location.href.split("#")[0], imgUrl: meta("image") };
    wx.updateAppMessageShareData(card);
    wx.updateTimelineShareData(card);
  });
})();
