import type { messagingApi } from '@line/bot-sdk';
import { button, text, vbox } from './flex';

/** 「プラン管理」's answer: Stripe's customer portal behind one button (the URL lives minutes). */
export function planPortalCard(planName: string, url: string): messagingApi.FlexMessage {
  return {
    type: 'flex',
    altText: `プランの変更・解約はこちら: ${url}`,
    contents: {
      type: 'bubble',
      size: 'kilo',
      body: vbox([
        text('プラン管理', { weight: 'bold', size: 'md' }),
        text(`現在のプラン: ${planName}`, { size: 'sm' }),
        text(
          'プランの変更・解約、お支払い方法の変更、請求書の確認ができます（Stripeのページが開きます）。変更はLINEでお知らせします。',
          { size: 'xs', color: '#666666' },
        ),
      ]),
      footer: vbox([button({ type: 'uri', label: 'プランを管理する', uri: url })]),
    },
  };
}
